/**
 * A TCP echo for proving a path through the network: a server in one network
 * namespace answers every connection with "hello <the caller's address>", so
 * a client in another sees both that it got through and which source address
 * arrived (SNAT would show). Both are `node -e` programs run inside the
 * namespace: by name (`ip netns exec`) or by path (`nsenter --net=`, for
 * namespaces a runtime made, such as a CRI sandbox's).
 */
import { type Background, background, run } from './index.ts';

/** The port the echo server listens on unless told otherwise. */
const ECHO_PORT = 8080;

/** `node -e ECHO_SERVER PORT`: answer "hello <caller>" on PORT (IPv4 and IPv6); print "listening" once bound. */
const ECHO_SERVER =
  "require('net').createServer(s=>s.end('hello '+s.remoteAddress.replace('::ffff:',''))).listen(+process.argv[1],()=>console.log('listening'))";

/** `node -e ECHO_CLIENT HOST PORT`: print what the server said and exit 0; on an error or after 3 s, say why on stderr and exit 1. */
const ECHO_CLIENT =
  "const s=require('net').connect(+process.argv[2],process.argv[1]);let d='';s.on('data',c=>d+=c);" +
  "s.on('end',()=>{process.stdout.write(d);process.exit(0)});s.on('error',e=>{console.error(e.message);process.exit(1)});" +
  'setTimeout(()=>{console.error("timeout");process.exit(1)},3000)';

/** The command prefix that runs something in a network namespace: a name from `ip netns`, or a path. */
function inNetns(netns: string): string[] {
  return netns.startsWith('/') ? ['nsenter', `--net=${netns}`, '--'] : ['ip', 'netns', 'exec', netns];
}

/** Start the echo server in a namespace; resolves once it listens. `stop()` it (in teardown). */
export async function echoServer(netns: string, port = ECHO_PORT): Promise<Background> {
  const [cmd, ...args] = inNetns(netns);
  const server = background(cmd!, [...args, 'node', '-e', ECHO_SERVER, String(port)]);
  try {
    await server.firstLine();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Connect from a namespace to host:port; resolves to the reply ("hello <my address>"), or throws saying why. */
export async function echoFrom(netns: string, host: string, port = ECHO_PORT): Promise<string> {
  const [cmd, ...args] = inNetns(netns);
  const r = await run(cmd!, [...args, 'node', '-e', ECHO_CLIENT, host, String(port)]);
  if (r.exitCode !== 0) throw new Error(`tcp ${netns} → ${host}:${port}: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  return String(r.stdout);
}
