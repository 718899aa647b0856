import { parseArgs } from 'node:util';
import { readExperiment } from './core/experiment/spec.js';
import { runExperiment } from './core/experiment/run.js';
import { UserError } from './core/onnx/errors.js';
import { formatInspection, inspectModel } from './cli/inspect.js';
import { progressPrinter } from './cli/progress.js';

const USAGE = `usage: finetune <command> [options]

commands:
  train EXPERIMENT.json [--resume RUN_DIR] [--steps N]   fine-tune as the experiment file says
  inspect MODEL.onnx [--json]                           module tree, parameter counts, unsupported ops
  preview FILE_OR_FOLDER [--json] [--limit N]           first rows, column roles, label distribution, bad rows
`;

async function train(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { resume: { type: 'string' }, steps: { type: 'string' } } });
  if (positionals.length !== 1) throw new UserError('train needs exactly one experiment file');
  const { spec, baseDir } = readExperiment(positionals[0]);
  if (values.steps) spec.steps = Number(values.steps);
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)…\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  try {
    const summary = await runExperiment(spec, { baseDir, onEvent: progressPrinter(), signal: controller.signal, resume: values.resume });
    return summary.status === 'completed' ? 0 : 130;
  } finally {
    process.off('SIGINT', stop);
  }
}

async function inspect(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UserError('inspect needs exactly one model file');
  const result = inspectModel(positionals[0]);
  process.stdout.write((values.json ? JSON.stringify(result, null, 2) : formatInspection(result)) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train': return await train(rest);
      case 'inspect': return await inspect(rest);
      case 'preview': return await (await import('./cli/preview.js')).runPreview(rest);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      default:
        process.stderr.write(`finetune: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    // User errors (bad spec, bad model, bad data) get their message alone; anything else is a bug: show the stack.
    process.stderr.write(`finetune ${command}: ${e instanceof UserError || (e as Error).name === 'DataError' ? (e as Error).message : (e as Error).stack}\n`);
    return 1;
  }
}
