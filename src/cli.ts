import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readExperiment } from './core/experiment/spec.js';
import { runExperiment } from './core/experiment/run.js';
import { UserError } from './core/onnx/errors.js';
import { formatError } from './core/experiment/errors.js';
import { formatInspection, inspectModel } from './cli/inspect.js';
import { progressPrinter } from './cli/progress.js';
import { formatRun, listRuns, runInfo } from './cli/runs.js';

const USAGE = `usage: finetune <command> [options]

commands:
  train EXPERIMENT.json [--resume RUN_DIR | --resume-from CHECKPOINT_DIR] [--steps N]
                                                        fine-tune as the experiment file says
  inspect MODEL.onnx [--json] [--lora-target GLOB]... [--lora-r N]
                                                        module tree, parameter counts, unsupported ops;
                                                        the weights a LoRA target adapts and its parameter count
  preview FILE_OR_FOLDER [--json] [--limit N]           first rows, column roles, label distribution, bad rows
  runs [OUTPUT_DIR] [--json]                            runs and their status (default .finetune/runs)
  status RUN_DIR [--json]                               one run's status, progress and checkpoints

options: --verbose (or DEBUG=1) prints the stack of an error
`;

/** parseArgs, with its errors (unknown option, missing value) as one-line user errors. */
function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (e) {
    throw new UserError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

/** A command-line number as a number when it reads as one; anything else is left for the schema to reject by name. */
const numberArg = (v: string) => (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim()) ? Number(v) : v);

async function train(argv: string[]): Promise<number> {
  const { positionals, values } = args(argv, {
    resume: { type: 'string' }, 'resume-from': { type: 'string' }, steps: { type: 'string' }, verbose: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UserError('train needs exactly one experiment file');
  if (values.resume && values['resume-from']) throw new UserError('give --resume or --resume-from, not both');
  const { spec, baseDir } = readExperiment(positionals[0], values.steps !== undefined ? { steps: numberArg(values.steps) } : {});
  const controller = new AbortController();
  // The first Ctrl-C (or SIGTERM) finishes the step and checkpoints; a second quits now, and the run folder's
  // writer records the run as stopped on the way out.
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)…\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const summary = await runExperiment(spec, {
      baseDir, onEvent: progressPrinter(), signal: controller.signal, resume: values.resume, resumeFrom: values['resume-from'],
    });
    return summary.status === 'completed' ? 0 : 130;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function inspect(argv: string[]): Promise<number> {
  const { positionals, values } = args(argv, {
    json: { type: 'boolean' }, verbose: { type: 'boolean' }, 'lora-target': { type: 'string', multiple: true }, 'lora-r': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UserError('inspect needs exactly one model file');
  const target = values['lora-target'];
  const r = Number(values['lora-r'] ?? 8);
  if (!Number.isInteger(r) || r < 1) throw new UserError(`--lora-r must be a positive integer, got '${values['lora-r']}'`);
  const result = inspectModel(positionals[0], target ? { lora: { target, r } } : {});
  process.stdout.write((values.json ? JSON.stringify(result, null, 2) : formatInspection(result)) + '\n');
  return 0;
}

async function runs(argv: string[]): Promise<number> {
  const { positionals, values } = args(argv, { json: { type: 'boolean' }, verbose: { type: 'boolean' } });
  if (positionals.length > 1) throw new UserError('runs takes at most one output folder');
  const list = await listRuns(positionals[0] ?? '.finetune/runs');
  process.stdout.write(values.json ? JSON.stringify(list, null, 2) + '\n' : list.map(formatRun).join('\n') + (list.length ? '\n' : 'no runs\n'));
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { positionals, values } = args(argv, { json: { type: 'boolean' }, verbose: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UserError('status needs exactly one run folder');
  const info = await runInfo(positionals[0]);
  if (info.status === 'unknown' && info.checkpoints.length === 0) throw new UserError(`${positionals[0]}: no run.json (not a run folder?)`);
  process.stdout.write((values.json ? JSON.stringify(info, null, 2) : formatRun(info)) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const verbose = rest.includes('--verbose') || !!process.env.DEBUG;
  try {
    switch (command) {
      case 'train': return await train(rest);
      case 'inspect': return await inspect(rest);
      case 'preview': return await (await import('./cli/preview.js')).runPreview(rest.filter((a) => a !== '--verbose'));
      case 'runs': return await runs(rest);
      case 'status': return await status(rest);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      default:
        process.stderr.write(`finetune: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`finetune ${command}: ${formatError(e, verbose)}\n`);
    return 1;
  }
}
