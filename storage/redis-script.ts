import { createHash } from 'node:crypto';
import { isCluster, type RedisConnection } from './redis-connection.js';

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not know it yet (first use,
 * or after a Redis restart emptied the script cache).
 */
export class RedisScript {
  private readonly sha1: string;

  constructor(private readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisConnection, keys: string[], args: string[]): Promise<unknown> {
    try {
      // On one Redis the command goes out as it is: node-redis' `evalSha` builds it through its command
      // parser first (~8 % of a script's client CPU, and a turn runs about ten). A cluster client needs
      // `evalSha` to route the command by its first key.
      return await (isCluster(client)
        ? client.evalSha(this.sha1, { keys, arguments: args })
        : client.sendCommand(this.command(keys, args)));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, { keys, arguments: args });
    }
  }

  /** `EVALSHA sha numkeys keys… args…` in an array of its exact size (spreads grow one as they go). */
  private command(keys: readonly string[], args: readonly string[]): string[] {
    const command = new Array<string>(3 + keys.length + args.length);
    command[0] = 'EVALSHA';
    command[1] = this.sha1;
    command[2] = String(keys.length);
    let i = 3;
    for (const key of keys) command[i++] = key;
    for (const arg of args) command[i++] = arg;
    return command;
  }
}
