import { strict as assert } from 'node:assert';
import {
  candidatePaths,
  entityDefinitionPatterns,
  entityRefOf,
  exceptionOf,
  exceptionsOf,
  fileUrlToPath,
  findEntityDefinition,
  findEntityDefinitions,
  isLibraryFrame,
  jumpTargetsOf,
  mapToWorkspace,
  normalisePath,
  parseStackTrace,
  relevantFrame,
  splitEntitySpanName,
  stackLanguageOf,
  WorkspaceFileIndex,
  type StackFrame,
} from '../../src/core/source';
import type { Attributes, SpanEvent } from '../../src/core/model';

/** `file:line:column function` of each frame, compactly. */
function brief(frames: StackFrame[]): string[] {
  return frames.map((f) => `${f.filePath}:${f.line ?? '-'}:${f.column ?? '-'} ${f.functionName ?? '-'}${f.isLibrary ? ' [lib]' : ''}`);
}

const PYTHON_TRACE = `Traceback (most recent call last):
  File "/app/src/jokes/workflow.py", line 42, in create_joke
    result = client.chat.completions.create(**params)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/openai/_utils/_utils.py", line 275, in wrapper
    return func(*args, **kwargs)
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 653, in run_until_complete
    return future.result()
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
openai.APIConnectionError: Connection error.`;

const PYTHON_CHAINED = `Traceback (most recent call last):
  File "/app/a.py", line 3, in f
    x = 1 / 0
ZeroDivisionError: division by zero

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/main.py", line 10, in <module>
    run()
  File "/app/b.py", line 7, in run
    raise ValueError("bad")
  File "/usr/lib/python3.12/json/__init__.py", line 346, in loads
ValueError: bad`;

const NODE_TRACE = `TypeError: Cannot read properties of undefined (reading 'choices')
    at Object.<anonymous> (/home/dev/app/node_modules/openai/core.js:300:11)
    at summarise (/home/dev/app/src/summarise.ts:27:31)
    at async Promise.all (index 0)
    at async runWorkflow (file:///home/dev/app/dist/work%20flow.mjs:14:5)
    at processTicksAndRejections (node:internal/process/task_queues:95:5)
    at /home/dev/app/src/index.js:3:1
    at new Client (C:\\Users\\dev\\app\\client.js:10:2)
    at Foo.bar [as baz] (/x/y.js:1:2)
    at eval (eval at compile (/x/compile.js:5:10), <anonymous>:1:1)
    at Array.map (<anonymous>)
    at async file:///C:/proj/main.mjs:8:3`;

const JAVA_TRACE = `java.lang.IllegalStateException: boom
\tat com.acme.jokes.JokeService.create(JokeService.java:42)
\tat com.acme.jokes.JokeService$Inner.lambda$run$0(JokeService.java:88)
\tat java.base/java.lang.Thread.run(Thread.java:829)
\tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
\tat app//org.springframework.web.Dispatcher.handle(Dispatcher.java:1)
\tat Main.main(Main.kt)
Caused by: java.io.IOException: nope
\tat com.acme.io.Reader.read(Reader.kt:7)
\t... 5 more`;

const GO_TRACE = `panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
runtime/debug.Stack()
\t/usr/local/go/src/runtime/debug/stack.go:24 +0x5e
main.(*Server).handle(0xc000010000, {0x1, 0x2})
\t/home/dev/app/server.go:42 +0x1d
main.main()
\t/home/dev/app/main.go:12 +0x25
created by net/http.(*Server).Serve in goroutine 1
\t/root/go/pkg/mod/golang.org/x/net@v0.1.0/http.go:3086 +0x5cb
exit status 2`;

const DOTNET_TRACE = `System.InvalidOperationException: boom
   at System.Linq.Enumerable.First[TSource](IEnumerable\`1 source) in /_/src/libraries/System.Linq/src/First.cs:line 16
   at Acme.Jokes.JokeService.Create(String topic) in /src/Acme/JokeService.cs:line 42
   at Acme.Program.Main(String[] args) in C:\\src\\Acme\\Program.cs:line 7
   at System.Threading.Tasks.Task.Run()`;

const RUBY_TRACE = `/app/lib/jokes.rb:12:in \`create': boom (RuntimeError)
\tfrom /usr/local/bundle/gems/sidekiq-7.0.0/lib/sidekiq.rb:10:in 'Sidekiq::Job#call'
\tfrom /app/lib/runner.rb:5:in 'block in run'`;

const PHP_TRACE = `PHP Fatal error:  Uncaught RuntimeException: boom in /var/www/src/Joke.php:12
Stack trace:
#0 /var/www/vendor/laravel/framework/src/Router.php(100): App\\Joke->create('cats')
#1 /var/www/src/Controller.php(30): App\\Controller->index()
#2 {main}
  thrown in /var/www/src/Joke.php on line 12`;

const RUST_TRACE = `thread 'main' panicked at src/main.rs:5:9:
explicit panic
stack backtrace:
   0: rust_begin_unwind
             at /rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs:645:5
   1: app::run::h0123456789abcdef
             at ./src/main.rs:5:9`;

describe('parseStackTrace', () => {
  it('reads Python tracebacks, skipping source excerpts and caret lines', () => {
    assert.deepEqual(brief(parseStackTrace(PYTHON_TRACE)), [
      '/app/src/jokes/workflow.py:42:- create_joke',
      '/usr/local/lib/python3.11/site-packages/openai/_utils/_utils.py:275:- wrapper [lib]',
      '/usr/local/lib/python3.11/asyncio/base_events.py:653:- run_until_complete [lib]',
      '<frozen importlib._bootstrap>:241:- _call_with_frames_removed [lib]',
    ]);
    const [first] = parseStackTrace(PYTHON_TRACE);
    assert.equal(first.language, 'python');
    assert.equal(first.raw, 'File "/app/src/jokes/workflow.py", line 42, in create_joke');
  });

  it('reads Node/V8 stacks: named, bare, async, new, aliased, eval, file URLs and Windows paths', () => {
    assert.deepEqual(brief(parseStackTrace(NODE_TRACE)), [
      '/home/dev/app/node_modules/openai/core.js:300:11 Object.<anonymous> [lib]',
      '/home/dev/app/src/summarise.ts:27:31 summarise',
      '/home/dev/app/dist/work flow.mjs:14:5 runWorkflow',
      'node:internal/process/task_queues:95:5 processTicksAndRejections [lib]',
      '/home/dev/app/src/index.js:3:1 -',
      'C:\\Users\\dev\\app\\client.js:10:2 Client',
      '/x/y.js:1:2 Foo.bar',
      '/x/compile.js:5:10 eval',
      'C:/proj/main.mjs:8:3 -',
    ]);
    assert.ok(parseStackTrace(NODE_TRACE).every((f) => f.language === 'javascript'));
  });

  it('reads JVM stacks and turns the package into a directory', () => {
    assert.deepEqual(brief(parseStackTrace(JAVA_TRACE)), [
      'com/acme/jokes/JokeService.java:42:- com.acme.jokes.JokeService.create',
      'com/acme/jokes/JokeService.java:88:- com.acme.jokes.JokeService$Inner.lambda$run$0',
      'java/lang/Thread.java:829:- java.lang.Thread.run [lib]',
      'org/springframework/web/Dispatcher.java:1:- org.springframework.web.Dispatcher.handle [lib]',
      'Main.kt:-:- Main.main',
      'com/acme/io/Reader.kt:7:- com.acme.io.Reader.read',
    ]);
  });

  it('reads Go panics, taking the function from the line before each location', () => {
    assert.deepEqual(brief(parseStackTrace(GO_TRACE)), [
      '/usr/local/go/src/runtime/debug/stack.go:24:- runtime/debug.Stack [lib]',
      '/home/dev/app/server.go:42:- main.(*Server).handle',
      '/home/dev/app/main.go:12:- main.main',
      '/root/go/pkg/mod/golang.org/x/net@v0.1.0/http.go:3086:- net/http.(*Server).Serve [lib]',
    ]);
  });

  it('reads .NET stacks with file info and skips frames without it', () => {
    assert.deepEqual(brief(parseStackTrace(DOTNET_TRACE)), [
      '/_/src/libraries/System.Linq/src/First.cs:16:- System.Linq.Enumerable.First[TSource] [lib]',
      '/src/Acme/JokeService.cs:42:- Acme.Jokes.JokeService.Create',
      'C:\\src\\Acme\\Program.cs:7:- Acme.Program.Main',
    ]);
  });

  it('reads Ruby (both quote styles, message on the first line), PHP and Rust', () => {
    assert.deepEqual(brief(parseStackTrace(RUBY_TRACE)), [
      '/app/lib/jokes.rb:12:- create',
      '/usr/local/bundle/gems/sidekiq-7.0.0/lib/sidekiq.rb:10:- Sidekiq::Job#call [lib]',
      '/app/lib/runner.rb:5:- run',
    ]);
    assert.deepEqual(brief(parseStackTrace(PHP_TRACE)), [
      '/var/www/src/Joke.php:12:- -',
      '/var/www/vendor/laravel/framework/src/Router.php:100:- App\\Joke->create [lib]',
      '/var/www/src/Controller.php:30:- App\\Controller->index',
    ]);
    assert.deepEqual(brief(parseStackTrace(RUST_TRACE)), [
      'src/main.rs:5:9 -',
      '/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs:645:5 rust_begin_unwind [lib]',
      './src/main.rs:5:9 app::run',
    ]);
  });

  it('reads the Rust panic site, which is all Rust prints without RUST_BACKTRACE, in both message styles', () => {
    assert.deepEqual(brief(parseStackTrace("thread 'main' panicked at src/main.rs:5:9:\nexplicit panic\nnote: run with `RUST_BACKTRACE=1`")), ['src/main.rs:5:9 -']);
    const inDependency = "thread 'main' panicked at /root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_json-1.0.120/src/de.rs:10:5:\n   7: app::load\n             at ./src/config.rs:21:13";
    assert.equal(relevantFrame(parseStackTrace(inDependency))?.filePath, './src/config.rs', 'a panic inside a crate points at the caller');
    assert.deepEqual(brief(parseStackTrace("thread 'tokio-runtime-worker' panicked at 'called `Option::unwrap()` on a `None` value', src/agent/tools.rs:88:14")), ['src/agent/tools.rs:88:14 -']);
  });

  it('reads Firefox and Safari stacks (browser SDKs)', () => {
    const trace = ['create@https://app.example/static/js/app.js:10:5', 'run/<@file:///home/dev/web/main.js:3:1', '@debugger eval code:1:1', 'Safari@[native code]'].join('\n');
    assert.deepEqual(brief(parseStackTrace(trace, 'webjs')), ['https://app.example/static/js/app.js:10:5 create', '/home/dev/web/main.js:3:1 run', 'debugger eval code:1:1 -']);
    assert.ok(parseStackTrace(trace).every((f) => f.language === 'javascript'));
  });

  it('handles CRLF line endings, empty and non-trace text without throwing', () => {
    assert.deepEqual(brief(parseStackTrace('Error: x\r\n    at f (/a/b.js:1:2)\r\n')), ['/a/b.js:1:2 f']);
    assert.deepEqual(parseStackTrace(''), []);
    assert.deepEqual(parseStackTrace('just a message\nwith two lines'), []);
    assert.deepEqual(parseStackTrace(undefined as unknown as string), []);
    assert.deepEqual(parseStackTrace('  File "x.py", line 0, in f')[0].line, undefined, 'line 0 is not a line');
  });

  it('honours a language hint and maps telemetry.sdk.language values', () => {
    assert.equal(stackLanguageOf('nodejs'), 'javascript');
    assert.equal(stackLanguageOf('dotnet'), 'dotnet');
    assert.equal(stackLanguageOf('Python'), 'python');
    assert.equal(stackLanguageOf('cobol'), undefined);
    assert.equal(parseStackTrace(JAVA_TRACE, 'java')[0].language, 'java');
    assert.deepEqual(brief(parseStackTrace(PYTHON_TRACE, 'nodejs')), brief(parseStackTrace(PYTHON_TRACE)));
  });
});

describe('relevantFrame', () => {
  it('picks the innermost user frame of a Python traceback (the last one)', () => {
    assert.equal(relevantFrame(parseStackTrace(PYTHON_TRACE))?.filePath, '/app/src/jokes/workflow.py');
  });

  it('picks the innermost frame of the exception finally raised in a chained Python traceback', () => {
    const frame = relevantFrame(parseStackTrace(PYTHON_CHAINED))!;
    assert.equal(`${frame.filePath}:${frame.line}`, '/app/b.py:7');
  });

  it('picks the first user frame of innermost-first languages', () => {
    assert.equal(relevantFrame(parseStackTrace(NODE_TRACE))?.filePath, '/home/dev/app/src/summarise.ts');
    assert.equal(relevantFrame(parseStackTrace(JAVA_TRACE))?.line, 42);
    assert.equal(relevantFrame(parseStackTrace(GO_TRACE))?.filePath, '/home/dev/app/server.go');
    assert.equal(relevantFrame(parseStackTrace(DOTNET_TRACE))?.filePath, '/src/Acme/JokeService.cs');
    assert.equal(relevantFrame(parseStackTrace(PHP_TRACE))?.filePath, '/var/www/src/Joke.php');
    // The panic site, printed before the backtrace.
    assert.equal(relevantFrame(parseStackTrace(RUST_TRACE))?.filePath, 'src/main.rs');
  });

  it('falls back to the innermost frame when every frame is library code, and to undefined for none', () => {
    const frames = parseStackTrace('Error\n    at a (/x/node_modules/p/a.js:1:1)\n    at b (node:internal/b:2:2)');
    assert.equal(relevantFrame(frames)?.functionName, 'a');
    assert.equal(relevantFrame([]), undefined);
  });
});

describe('isLibraryFrame', () => {
  const library = (filePath: string, language: StackFrame['language'] = 'python', functionName?: string) =>
    isLibraryFrame({ filePath, language, functionName });

  it('recognises dependency, standard library and runtime paths', () => {
    for (const path of [
      '/app/.venv/lib/python3.12/site-packages/httpx/_client.py',
      '/usr/lib/python3/dist-packages/yaml/__init__.py',
      'C:\\Python311\\Lib\\asyncio\\events.py',
      '/Users/me/.pyenv/versions/3.11.4/lib/python3.11/threading.py',
      '<frozen runpy>',
      '<string>',
      'node:internal/modules/cjs/loader',
      'internal/process/task_queues.js',
      'C:\\proj\\node_modules\\.pnpm\\x@1\\node_modules\\x\\i.js',
      '/root/go/pkg/mod/github.com/x/y@v1/z.go',
      '/opt/homebrew/Cellar/go/1.22.0/libexec/src/net/http/server.go',
      '/var/www/vendor/symfony/a.php',
      '/home/me/.cargo/registry/src/tokio-1/src/lib.rs',
    ]) {
      assert.equal(library(path), true, path);
    }
  });

  it('does not flag user code', () => {
    for (const path of ['/app/src/main.py', '/home/me/lib/python_utils/x.py', 'C:\\work\\app\\index.ts', './src/main.rs', 'src/site.py', '/srv/go/app/main.go']) {
      assert.equal(library(path), false, path);
    }
  });

  it('recognises platform namespaces of JVM and .NET frames', () => {
    assert.equal(library('java/util/List.java', 'java', 'java.util.List.get'), true);
    assert.equal(library('kotlin/A.kt', 'java', 'kotlinx.coroutines.A.b'), true);
    assert.equal(library('com/acme/A.java', 'java', 'com.acme.A.b'), false);
    assert.equal(library('/src/X.cs', 'dotnet', 'System.Linq.Enumerable.First'), true);
    assert.equal(library('/src/X.cs', 'dotnet', 'Acme.X.Y'), false);
    assert.equal(library('/src/X.cs', 'python', 'System.Linq.Enumerable.First'), false, 'namespaces count only for their language');
  });
});

describe('exceptionOf', () => {
  const event = (attributes: Attributes): SpanEvent => ({ name: 'exception', timeUnixNano: 1n, attributes });

  it('reads the exception event and parses its stack trace', () => {
    const info = exceptionOf({
      attributes: {},
      events: [
        { name: 'gen_ai.user.message', timeUnixNano: 0n, attributes: {} },
        event({
          'exception.type': 'openai.APIConnectionError',
          'exception.message': 'Connection error.',
          'exception.stacktrace': PYTHON_TRACE,
          'exception.escaped': 'false',
        }),
      ],
    })!;
    assert.equal(info.type, 'openai.APIConnectionError');
    assert.equal(info.message, 'Connection error.');
    assert.equal(info.stacktrace, PYTHON_TRACE);
    assert.equal(info.escaped, false);
    assert.equal(info.frames.length, 4);
    assert.equal(relevantFrame(info.frames)?.line, 42);
  });

  it('returns the last of several exceptions, and all of them from exceptionsOf', () => {
    const span = {
      attributes: {},
      events: [event({ 'exception.type': 'Timeout', 'exception.escaped': true }), event({ 'exception.type': 'RateLimit' })],
    };
    assert.equal(exceptionOf(span)?.type, 'RateLimit');
    assert.deepEqual(
      exceptionsOf(span).map((e) => [e.type, e.escaped]),
      [
        ['Timeout', true],
        ['RateLimit', undefined],
      ],
    );
  });

  it('falls back to exception.* span attributes, and returns undefined when nothing was recorded', () => {
    const info = exceptionOf({ attributes: { 'exception.message': 'bad input' }, events: [] })!;
    assert.deepEqual(info, { message: 'bad input', frames: [] });
    assert.equal(exceptionOf({ attributes: { 'http.status_code': 500 }, events: [event({})] }), undefined);
    assert.equal(exceptionOf({ attributes: {} }), undefined);
  });

  it('uses telemetry.sdk.language from the resource as the parser hint', () => {
    const info = exceptionOf({
      attributes: {},
      events: [event({ 'exception.stacktrace': 'Error\n    at f (/a.js:1:2)' })],
      resource: { 'telemetry.sdk.language': 'nodejs' },
    })!;
    assert.equal(info.frames[0].language, 'javascript');
  });
});

describe('normalisePath and fileUrlToPath', () => {
  it('decodes file URLs, including Windows drives and UNC hosts', () => {
    assert.equal(fileUrlToPath('file:///home/me/a%20b.ts'), '/home/me/a b.ts');
    assert.equal(fileUrlToPath('file:///C:/proj/x.js'), 'C:/proj/x.js');
    assert.equal(fileUrlToPath('file://server/share/x.js'), '//server/share/x.js');
    assert.equal(fileUrlToPath('file:///bad%zzescape.js'), '/bad%zzescape.js');
    assert.equal(fileUrlToPath('/plain/path.js'), '/plain/path.js');
  });

  it('normalises separators, dot segments and foreign URL schemes', () => {
    assert.equal(normalisePath('C:\\proj\\src\\..\\lib\\x.py'), 'C:/proj/lib/x.py');
    assert.equal(normalisePath('./src//a/./b.ts'), 'src/a/b.ts');
    assert.equal(normalisePath('../../x/y.py'), '../../x/y.py');
    assert.equal(normalisePath('webpack:///./src/app.ts'), '/src/app.ts');
    assert.equal(normalisePath('C:/..'), 'C:', 'never climbs above a drive');
    assert.equal(normalisePath('/../etc/x'), '/etc/x', 'never climbs above the root');
    assert.equal(normalisePath('a/../../b'), '../b');
  });
});

describe('mapToWorkspace', () => {
  const files = [
    '/home/me/proj/src/jokes/workflow.py',
    '/home/me/proj/tests/jokes/workflow.py',
    '/home/me/proj/src/main.py',
    '/home/me/proj/scripts/main.py',
    '/home/me/proj/src/main/java/com/acme/jokes/JokeService.java',
    '/home/me/proj/web/src/index.ts',
  ];

  it('maps a container path by the longest common suffix', () => {
    assert.deepEqual(mapToWorkspace('/app/src/jokes/workflow.py', files), {
      file: '/home/me/proj/src/jokes/workflow.py',
      matchedSegments: 3,
      exact: false,
      ambiguous: false,
    });
  });

  it('reports an exact match for a path already in the workspace', () => {
    const match = mapToWorkspace('/home/me/proj/src/main.py', files)!;
    assert.equal(match.exact, true);
    assert.equal(match.file, '/home/me/proj/src/main.py');
  });

  it('maps relative paths, file URLs, Windows paths and JVM package paths', () => {
    assert.equal(mapToWorkspace('./web/src/index.ts', files)?.file, '/home/me/proj/web/src/index.ts');
    assert.equal(mapToWorkspace('file:///build/agent/src/jokes/workflow.py', files)?.file, '/home/me/proj/src/jokes/workflow.py');
    assert.equal(mapToWorkspace('D:\\ci\\work\\src\\jokes\\workflow.py', files)?.file, '/home/me/proj/src/jokes/workflow.py');
    assert.equal(mapToWorkspace('com/acme/jokes/JokeService.java', files)?.matchedSegments, 4);
  });

  it('flags ties and picks the shortest, then first, path deterministically', () => {
    const match = mapToWorkspace('/other/machine/main.py', files)!;
    assert.equal(match.ambiguous, true);
    assert.equal(match.matchedSegments, 1);
    assert.equal(match.file, '/home/me/proj/scripts/main.py');
    assert.deepEqual(mapToWorkspace('/other/machine/main.py', [...files].reverse()), match);
  });

  it('returns undefined without a matching file name, or below minSegments', () => {
    assert.equal(mapToWorkspace('/app/unknown.py', files), undefined);
    assert.equal(mapToWorkspace('', files), undefined);
    assert.equal(mapToWorkspace('/x/y/main.py', files, { minSegments: 2 }), undefined);
  });

  it('compares case-insensitively for Windows workspaces, and case-sensitively otherwise', () => {
    const windows = ['c:\\Users\\Me\\Proj\\Src\\App.py'];
    assert.equal(mapToWorkspace('/app/src/app.py', windows)?.file, 'c:\\Users\\Me\\Proj\\Src\\App.py');
    assert.equal(mapToWorkspace('/app/src/app.py', windows)?.matchedSegments, 2);
    assert.equal(mapToWorkspace('/app/Src/Main.py', files), undefined);
    assert.equal(mapToWorkspace('/app/Src/Main.py', files, { ignoreCase: true })?.file, '/home/me/proj/src/main.py');
  });

  it('serves repeated lookups from one index', () => {
    const index = new WorkspaceFileIndex(files);
    const frames = parseStackTrace(PYTHON_TRACE.replace('/app/src/jokes/workflow.py', '/srv/app/src/jokes/workflow.py'));
    assert.deepEqual(
      frames.map((f) => index.find(f.filePath)?.file),
      ['/home/me/proj/src/jokes/workflow.py', undefined, undefined, undefined],
    );
  });
});

describe('candidatePaths', () => {
  it('lists the path itself, then the folder-anchored rest, then shorter suffixes', () => {
    assert.deepEqual(candidatePaths('/app/proj/src/x.py', ['/home/me/proj']), [
      '/home/me/proj/src/x.py',
      '/home/me/proj/app/proj/src/x.py',
      '/home/me/proj/proj/src/x.py',
      '/home/me/proj/x.py',
    ]);
    assert.deepEqual(candidatePaths('/home/me/proj/a.py', ['/home/me/proj']), ['/home/me/proj/a.py', '/home/me/proj/home/me/proj/a.py', '/home/me/proj/me/proj/a.py', '/home/me/proj/proj/a.py']);
  });

  it('covers every folder, in folder order for each suffix length, with Windows folders', () => {
    assert.deepEqual(candidatePaths('src/x.py', ['C:\\ws\\a', '/ws/b']), ['C:/ws/a/src/x.py', '/ws/b/src/x.py', 'C:/ws/a/x.py', '/ws/b/x.py']);
    assert.deepEqual(candidatePaths('', ['/ws']), []);
    assert.deepEqual(candidatePaths('x.py', []), []);
  });
});

const PYTHON_FILE = `from respan_tracing.decorators import workflow, task
from traceloop.sdk import decorators as tl


def joke_creation_helper():
    pass


@task(name="joke_creation")
def create_joke():
    return "a joke"


@task(
    version=2,
    name='joke_translation',
)
async def translate(joke):
    return joke


@workflow
@retry(times=3)
async def pirate_workflow():
    return create_joke()


@tl.agent(name="other_name")
def planner():
    pass


def joke_creation():
    """Same name as the task, but undecorated."""
`;

const TS_FILE = `import * as traceloop from "@traceloop/node-server-sdk";

export async function createJoke() {
  return traceloop.withTask({ name: "joke_creation" }, async () => "joke");
}

export const generateSignature = async (joke: string) =>
  withTask<string>({
    name: \`signature_generation\`,
    version: 1,
  }, () => joke);

class Agents {
  @traceloop.workflow({ name: "pirate_joke_workflow" })
  async run() {}

  @traceloop.agent()
  public async planner(input: string): Promise<void> {}

  helper(a: number): number {
    return a;
  }
}

function plainFunction() {}
`;

describe('entity names', () => {
  it('splits {entity}.{kind} span names', () => {
    assert.deepEqual(splitEntitySpanName('joke_creation.task'), { entityName: 'joke_creation', kind: 'task' });
    assert.deepEqual(splitEntitySpanName('my.dotted.name.workflow'), { entityName: 'my.dotted.name', kind: 'workflow' });
    assert.equal(splitEntitySpanName('openai.chat'), undefined);
    assert.equal(splitEntitySpanName('.task'), undefined);
    assert.equal(splitEntitySpanName('task'), undefined);
  });

  it('prefers traceloop.entity.name and traceloop.span.kind over the span name', () => {
    assert.deepEqual(entityRefOf({ name: 'x.task', attributes: { 'traceloop.entity.name': 'real', 'traceloop.span.kind': 'agent' } }), {
      entityName: 'real',
      kind: 'agent',
    });
    assert.deepEqual(entityRefOf({ name: 'x.task', attributes: { 'traceloop.entity.name': 'real' } }), { entityName: 'real', kind: 'task' });
    assert.deepEqual(entityRefOf({ name: 'joke.tool', attributes: {} }), { entityName: 'joke', kind: 'tool' });
    assert.deepEqual(entityRefOf({ name: 'GET /', attributes: { 'traceloop.entity.name': 'named', 'traceloop.span.kind': 'unknown' } }), {
      entityName: 'named',
    });
    assert.equal(entityRefOf({ name: 'chat gpt-4o', attributes: {} }), undefined);
  });
});

describe('findEntityDefinition', () => {
  it('finds a named Python decorator, preferring it over a function of the same name', () => {
    const found = findEntityDefinition(PYTHON_FILE, 'joke_creation')!;
    assert.deepEqual(found, { line: 9, column: 1, match: 'named-decorator', confidence: 1, decoratorKind: 'task' });
    const all = findEntityDefinitions(PYTHON_FILE, 'joke_creation');
    assert.deepEqual(
      all.map((d) => [d.line, d.match]),
      [
        [9, 'named-decorator'],
        [33, 'function'],
      ],
    );
  });

  it('finds multi-line decorator arguments with single quotes', () => {
    assert.deepEqual(findEntityDefinition(PYTHON_FILE, 'joke_translation'), {
      line: 14,
      column: 1,
      match: 'named-decorator',
      confidence: 1,
      decoratorKind: 'task',
    });
  });

  it('finds an unnamed decorator above the def, through other decorators', () => {
    assert.deepEqual(findEntityDefinition(PYTHON_FILE, 'pirate_workflow'), {
      line: 22,
      column: 1,
      match: 'decorated-function',
      confidence: 0.9,
      decoratorKind: 'workflow',
    });
  });

  it('does not take a decorator that names another entity as the definition of the function', () => {
    const found = findEntityDefinition(PYTHON_FILE, 'planner')!;
    assert.equal(found.match, 'function');
    assert.equal(found.line, 29);
    assert.equal(findEntityDefinition(PYTHON_FILE, 'other_name')?.line, 28);
  });

  it('finds JS/TS wrappers, template-literal names and decorators', () => {
    assert.deepEqual(findEntityDefinition(TS_FILE, 'joke_creation'), {
      line: 4,
      column: 20,
      match: 'named-wrapper',
      confidence: 1,
      decoratorKind: 'task',
    });
    assert.equal(findEntityDefinition(TS_FILE, 'signature_generation')?.line, 8);
    assert.deepEqual(findEntityDefinition(TS_FILE, 'pirate_joke_workflow'), {
      line: 14,
      column: 3,
      match: 'named-decorator',
      confidence: 1,
      decoratorKind: 'workflow',
    });
    const planner = findEntityDefinition(TS_FILE, 'planner')!;
    assert.equal(planner.match, 'decorated-function');
    assert.equal(planner.line, 17);
  });

  it('falls back to functions, variables and methods', () => {
    assert.deepEqual(
      [findEntityDefinition(TS_FILE, 'createJoke'), findEntityDefinition(TS_FILE, 'generateSignature'), findEntityDefinition(TS_FILE, 'helper')].map(
        (d) => d && [d.line, d.column, d.match],
      ),
      [
        [3, 8, 'function'],
        [7, 8, 'variable'],
        [20, 3, 'method'],
      ],
    );
    assert.equal(findEntityDefinition(TS_FILE, 'Agents')?.match, 'class');
    assert.equal(findEntityDefinition('func (s *Server) handle(w http.ResponseWriter) {}', 'handle')?.match, 'function');
  });

  it('does not match names that merely start or end the same', () => {
    assert.equal(findEntityDefinition(PYTHON_FILE, 'joke'), undefined);
    assert.equal(findEntityDefinition(PYTHON_FILE, 'creation'), undefined);
    assert.equal(findEntityDefinition('@task(workflow_name="x")\ndef y(): pass', 'x'), undefined);
    assert.equal(findEntityDefinition('@myworkflow(name="x")', 'x'), undefined);
  });

  it('ranks a decorator of the wanted kind above one of another kind', () => {
    const text = '@workflow(name="dup")\ndef a(): pass\n\n@task(name="dup")\ndef b(): pass\n';
    assert.equal(findEntityDefinition(text, 'dup')?.line, 1);
    assert.equal(findEntityDefinition(text, 'dup', { kind: 'task' })?.line, 4);
    assert.equal(findEntityDefinition(text, 'dup', { kind: 'task' })?.confidence, 1);
    assert.equal(findEntityDefinitions(text, 'dup', { kind: 'task' })[1].confidence, 0.9);
  });

  it('handles names that are not identifiers, positional names and CRLF files', () => {
    assert.equal(findEntityDefinition('@workflow(name="Joke Flow (v2)")\ndef f(): pass', 'Joke Flow (v2)')?.line, 1);
    assert.equal(findEntityDefinition('@workflow("positional")\ndef f(): pass', 'positional')?.match, 'named-decorator');
    assert.deepEqual(
      entityDefinitionPatterns('a.b').map((p) => p.match),
      ['named-decorator', 'named-wrapper'],
      'no plain-name patterns for a dotted name',
    );
    const crlf = 'x = 1\r\n\r\n@task\r\ndef crlf_task():\r\n    pass\r\n';
    assert.deepEqual(findEntityDefinition(crlf, 'crlf_task'), { line: 3, column: 1, match: 'decorated-function', confidence: 0.9, decoratorKind: 'task' });
    assert.equal(findEntityDefinition('', 'x'), undefined);
    assert.equal(findEntityDefinition('def x(): pass', ''), undefined);
  });

  it('finds a definition at the end of a large file', () => {
    const big = `${'x = call(a, b)  # filler line with (parens) and @decorators\n'.repeat(20000)}@task(name="needle")\n`;
    assert.equal(findEntityDefinition(big, 'needle')?.line, 20001);
  });
});

describe('jumpTargetsOf', () => {
  it('orders code location, code.stacktrace, entity, then exception', () => {
    const exceptionEvent: SpanEvent = { name: 'exception', timeUnixNano: 0n, attributes: { 'exception.stacktrace': PYTHON_TRACE } };
    const targets = jumpTargetsOf({
      name: 'joke_creation.task',
      attributes: {
        'code.filepath': '/app/old.py',
        'code.file.path': '/app/jokes.py',
        'code.lineno': 10,
        'code.function.name': 'create_joke',
        'code.stacktrace': 'Error\n    at g (/app/node_modules/x.js:1:1)\n    at f (/app/f.js:2:3)',
      },
      events: [exceptionEvent],
    });
    assert.deepEqual(
      targets.map((t) => (t.kind === 'entity' ? `entity ${t.entityName} ${t.entityKind}` : `${t.from} ${t.location.filePath}:${t.location.line}`)),
      ['code /app/jokes.py:10', 'code-stacktrace /app/f.js:2', 'entity joke_creation task', 'exception /app/src/jokes/workflow.py:42'],
    );
    const [code] = targets;
    assert.ok(code.kind === 'location');
    assert.equal(code.location.functionName, 'create_joke');
  });

  it('returns nothing for a span with no clue, and works on JSON-safe spans', () => {
    assert.deepEqual(jumpTargetsOf({ name: 'GET /health', attributes: {}, events: [] }), []);
    const json = jumpTargetsOf({ name: 'x', attributes: { 'code.filepath': 'a.py', 'code.lineno': '7' } });
    assert.deepEqual(json, [{ kind: 'location', from: 'code', location: { filePath: 'a.py', line: 7 } }]);
  });
});
