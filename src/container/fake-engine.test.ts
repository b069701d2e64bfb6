/**
 * A recorded engine for the executors' unit specs (set through
 * withEngineForTests, see exec.ts): it keeps every command line it is asked
 * to run and answers from a script, as Nx's docker executor spec does with
 * its mocked `docker`. Not a spec itself (jest runs `*.spec.ts`) and not
 * shipped (the build leaves out `*.test.ts`).
 */
import type { EngineName } from '../core/defaults';
import type { CaptureOptions, EngineRunner, SpawnResult, StreamingProcess, StreamOptions } from './exec';
import { withEngineForTests } from './exec';

export interface EngineCall {
  engine: EngineName;
  args: string[];
  env?: Record<string, string>;
  /** Streamed live (run, build) rather than captured. */
  streamed: boolean;
}

export interface Answer {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  signal?: string;
  notFound?: boolean;
  spawnError?: string;
  /** A streamed call that never ends by itself (a build still running): it ends, by that signal, when killed. */
  untilKilled?: boolean;
}

export class FakeEngine implements EngineRunner {
  readonly calls: EngineCall[] = [];
  /** The signals sent to streamed calls, in order. */
  readonly kills: { args: string[]; signal: string }[] = [];
  private readonly rules: { match: RegExp; answer: Answer | ((call: EngineCall) => Answer) }[] = [];

  /**
   * Answers the calls whose command line (args joined by spaces) matches
   * `match`. The rule given last wins; a call no rule matches succeeds
   * with no output.
   */
  on(match: RegExp, answer: Answer | ((call: EngineCall) => Answer)): this {
    this.rules.unshift({ match, answer });
    return this;
  }

  /** The command lines run so far, args joined by spaces, without the engine's name. */
  lines(): string[] {
    return this.calls.map((c) => c.args.join(' '));
  }

  /** The args of the first call whose command line starts with `prefix` (e.g. 'run', 'build', 'container rm'). */
  argsOf(prefix: string): string[] {
    const call = this.calls.find((c) => `${c.args.join(' ')} `.startsWith(`${prefix} `));
    if (!call) throw new Error(`no engine call starts with '${prefix}'; calls:\n${this.lines().join('\n')}`);
    return call.args;
  }

  /** Runs `work` with this engine standing in for the real one. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return withEngineForTests(this, work);
  }

  /** The scripted answer of a call (the last rule that matches; none: success, no output). */
  private answerOf(call: EngineCall): Answer {
    const line = call.args.join(' ');
    const rule = this.rules.find((r) => r.match.test(line));
    return (rule ? (typeof rule.answer === 'function' ? rule.answer(call) : rule.answer) : undefined) ?? {};
  }

  private answer(call: EngineCall): SpawnResult & { untilKilled?: boolean } {
    this.calls.push(call);
    const a = this.answerOf(call);
    return {
      untilKilled: a.untilKilled,
      exitCode: a.signal ? undefined : (a.exitCode ?? 0),
      signal: a.signal,
      stdout: a.stdout ?? '',
      stderr: a.stderr ?? '',
      timedOut: false,
      notFound: a.notFound ?? false,
      spawnError: a.spawnError,
    };
  }

  async capture(engine: EngineName, args: string[], opts: CaptureOptions): Promise<SpawnResult> {
    const { untilKilled: _, ...result } = this.answer({ engine, args: [...args], env: opts.env, streamed: false });
    return result;
  }

  async stream(engine: EngineName, args: string[], opts: StreamOptions): Promise<StreamingProcess> {
    const call: EngineCall = { engine, args: [...args], env: opts.env, streamed: true };
    const result = this.answer(call);
    if (result.stdout) opts.onStdout(Buffer.from(`${result.stdout}\n`));
    if (result.stderr) opts.onStderr(Buffer.from(`${result.stderr}\n`));
    const { untilKilled, ...rest } = result;
    const ended: SpawnResult = { ...rest, stdout: '', stderr: '' };
    if (!untilKilled) return { done: Promise.resolve(ended), kill: () => undefined };
    let end!: (r: SpawnResult) => void;
    const done = new Promise<SpawnResult>((resolve) => (end = resolve));
    return {
      done,
      kill: (signal = 'SIGTERM') => {
        this.kills.push({ args: call.args, signal });
        end({ ...ended, exitCode: undefined, signal });
      },
    };
  }
}
