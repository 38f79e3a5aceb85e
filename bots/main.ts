import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createRelevo } from './relevo.js';

/**
 * `npm start`: validates the environment, composes the agent and serves it until SIGTERM or SIGINT,
 * then stops accepting, lets in-flight turns finish and exits 0.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config);
  const relevo = await createRelevo({ config, logger });
  await relevo.listen();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A hard ceiling in case something refuses to close: never outlive the orchestrator's grace period.
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 1_500).unref();
    relevo.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Relevo failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
