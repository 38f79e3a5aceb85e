export { type Config, ConfigError, loadConfig } from './config.js';
export type { Channel, ChannelHealth, TurnLogic } from '../core/channel.js';
export { createHttpServer, type HttpServer } from './http-server.js';
export { createLogger } from './logger.js';
export { createRelevo, type Relevo, type RelevoOptions } from './relevo.js';
export { RelevoAgent } from './agent.js';
export type { OrderService } from '../dialogs/index.js';
