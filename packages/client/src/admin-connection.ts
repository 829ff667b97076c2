/** A connection to one daemon's admin socket: server info, clients, logging at runtime. */
import { homedir } from 'node:os';
import {
  adminGetLogging,
  adminGetServerInfo,
  adminListClients,
  adminSetLogging,
  parseURI,
  routeURI,
  type DaemonName,
  type ResultOf,
} from '@tsvirt/common/client';
import { DaemonLink } from './daemon-link.js';
import { defaultURI } from './default-uri.js';

export class AdminConnection {
  private constructor(private readonly link: DaemonLink) {}

  /** Opens `daemon`'s admin socket for the mode and root that `uri` implies. */
  static async open(
    daemon: DaemonName,
    uriText?: string,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<AdminConnection> {
    const uid = process.getuid?.() ?? 0;
    const uri = parseURI(uriText ?? defaultURI(env, uid));
    const route = routeURI({ uri, daemon, kind: 'admin', env, home: homedir(), uid });
    const link = await DaemonLink.open({
      path: route.path,
      readonly: false,
      uri: uriText ?? '',
      keepalive: { intervalMs: 0, count: 0 },
    });
    return new AdminConnection(link);
  }

  getServerInfo(): Promise<ResultOf<typeof adminGetServerInfo>> {
    return this.link.session.call(adminGetServerInfo, {});
  }

  async listClients(): Promise<ResultOf<typeof adminListClients>['clients']> {
    return (await this.link.session.call(adminListClients, {})).clients;
  }

  getLogging(): Promise<ResultOf<typeof adminGetLogging>> {
    return this.link.session.call(adminGetLogging, {});
  }

  setLogging(change: { level?: 1 | 2 | 3 | 4; filters?: string }): Promise<ResultOf<typeof adminSetLogging>> {
    return this.link.session.call(adminSetLogging, change);
  }

  close(): void {
    this.link.close();
  }
}
