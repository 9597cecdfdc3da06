import * as tf from '@tensorflow/tfjs';
import { Command, CommanderError } from 'commander';
import { isMolarError } from '../errors.js';
import { MODEL_KINDS_HELP } from './help.js';
import * as build from './commands/build.js';
import * as evalCmd from './commands/eval.js';
import * as quantize from './commands/quantize.js';
import * as train from './commands/train.js';

/** Every command module exports `register(program)`; adding a command is one line here. */
export const COMMANDS: { register(program: Command): void }[] = [build, evalCmd, quantize, train];

export function createProgram(): Command {
  const program = new Command('molar')
    .description('molar-web: build, train and evaluate in-browser sequential recommenders')
    .version('0.1.0')
    .showHelpAfterError()
    // a usage error throws (CommanderError) instead of exiting the process, so a program that calls
    // main() gets an exit code back; set before the commands are added, which inherit it
    .exitOverride();
  for (const c of COMMANDS) c.register(program);
  program.addHelpText('after', `\n${MODEL_KINDS_HELP}`);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  // tfjs's cpu backend otherwise greets every Node run with advice to install tfjs-node, which
  // this project cannot use (backend-node.ts says why); prod mode only silences tfjs's warnings.
  tf.enableProdMode();
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (isMolarError(e)) {
      process.stderr.write(`molar: error [${e.code}]: ${e.message}\n`);
      return 1;
    }
    // commander has printed the usage error (or the help / version, exit code 0) already
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
}

// run when executed directly (tsx src/cli/main.ts, or bin/molar.js importing this file)
const entry = process.argv[1] ?? '';
if (/(main\.ts|molar(\.js)?)$/.test(entry)) {
  process.exitCode = await main();
}
