#!/usr/bin/env node
// Tiny TCP tool for the datapath tests, run inside a namespace with `ip netns exec`.
//   node xfer.mjs serve IP PORT        answer each connection:
//        "who\n"   → the peer address as the server sees it
//        "get N\n" → N bytes, then close (download)
//        "put N\n" + N bytes → "ok N\n" once all arrived (upload)
//   node xfer.mjs who IP PORT          print the address the server saw
//   node xfer.mjs get|put IP PORT N    transfer N bytes; print {"bytes":N,"ms":T}
// The server prints "listening" once bound. Clients retry refused connections for 5 s.
import net from 'node:net';

const [mode, host, portText, countText] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'serve') {
  const server = net.createServer((sock) => {
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      sock.off('data', onData);
      const [cmd, n] = head.slice(0, nl).split(' ');
      const rest = Buffer.from(head.slice(nl + 1), 'latin1');
      if (cmd === 'who') sock.end(`${sock.remoteAddress}\n`);
      else if (cmd === 'get') sock.end(Buffer.alloc(Number(n)));
      else if (cmd === 'put') {
        let got = rest.length;
        const done = () => sock.end(`ok ${got}\n`);
        if (got >= Number(n)) return done();
        sock.on('data', (chunk) => {
          got += chunk.length;
          if (got >= Number(n)) done();
        });
      } else sock.destroy();
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  });
  server.listen(port, host, () => console.log('listening'));
} else {
  const n = Number(countText ?? 0);
  const deadline = Date.now() + 5000;
  const attempt = () => {
    const start = process.hrtime.bigint();
    const sock = net.connect({ host, port });
    let received = 0;
    let text = '';
    sock.on('connect', () => {
      if (mode === 'who') sock.write('who\n');
      if (mode === 'get') sock.write(`get ${n}\n`);
      if (mode === 'put') {
        sock.write(`put ${n}\n`);
        sock.write(Buffer.alloc(n));
      }
    });
    sock.on('data', (d) => {
      received += d.length;
      if (mode !== 'get') text += d.toString();
    });
    sock.on('end', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (mode === 'who') console.log(text.trim());
      else if (mode === 'get') console.log(JSON.stringify({ bytes: received, ms }));
      else console.log(JSON.stringify({ bytes: Number(text.trim().split(' ')[1]), ms }));
    });
    sock.on('error', (err) => {
      if (err.code === 'ECONNREFUSED' && Date.now() < deadline) return setTimeout(attempt, 50);
      console.error(`${mode} ${host}:${port}: ${err.message}`);
      process.exitCode = 1;
    });
    sock.setTimeout(10000, () => {
      console.error(`${mode} ${host}:${port}: timed out`);
      process.exit(1);
    });
  };
  attempt();
}
