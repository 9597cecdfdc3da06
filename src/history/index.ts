export { HistoryStore, type HistoryOpenOptions, type HistoryExport } from './store.js';
export { DB_VERSION, EVENT_TYPES, type EventType, type HistoryEvent, type HistoryEventInput, type AddedItem, type AddedItemRecord, type SummaryRecord, type ItemTextRecord } from './schema.js';
