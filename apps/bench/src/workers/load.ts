/**
 * A long-lived load generator (autocannon) in its own process, so the server under test keeps a
 * core to itself. Each `load` message is one sample of `seconds` over `connections`
 * connections; the answer is the 2xx answers per second. (autocannon works in 1 s ticks: an
 * `amount` run also lasts whole seconds, so samples are whole seconds.)
 */
import autocannon from 'autocannon';

interface LoadMessage {
  type: 'load';
  id: number;
  url: string;
  seconds: number;
  connections: number;
}

process.on('message', (message: LoadMessage | { type: 'exit' }) => {
  if (message.type === 'exit') process.exit(0);
  const started = performance.now();
  autocannon(
    { url: message.url, connections: message.connections, duration: message.seconds },
    (error, result) => {
      const seconds = (performance.now() - started) / 1000;
      if (error) {
        process.send?.({ type: 'loaded', id: message.id, error: String(error) });
        return;
      }
      process.send?.({
        type: 'loaded',
        id: message.id,
        rate: result['2xx'] / seconds,
        answers: result['2xx'],
        failures: result.errors + result.non2xx,
      });
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
