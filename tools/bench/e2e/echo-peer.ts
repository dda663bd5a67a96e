/**
 * The other side of the loopback round-trip ceiling, in a process of its own: a TCP server
 * that writes back whatever it reads. Reports its port, then its CPU time on request (IPC).
 */
import net from 'node:net';

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  process.send?.({ type: 'ready', port: address.port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  if (m.type === 'stop') server.close(() => process.exit(0));
});
