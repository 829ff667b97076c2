/** `edit DOMAIN`, as virsh does it: the shared editor loop of edit-loop.ts on the domain's inactive XML. */
import { defineDomain, getDomainXML } from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { describeError, domainArg } from './domain.js';
import { editXml } from './edit-loop.js';

export const edit: CommandDecl = {
  name: 'edit',
  group: 'domain',
  summary: 'edit XML configuration for a domain',
  description: 'Edit the XML configuration for a domain.',
  options: [{ name: 'domain', type: 'string', required: true, positional: true, help: 'domain name, id or uuid' }],
  async run(ctx) {
    const conn = await ctx.connection();
    const dom = await domainArg(conn, ctx.args.string('domain') ?? '');
    await editXml(
      {
        getXml: () => getDomainXML(conn, dom.uuid, { inactive: true }),
        define: async (xml) => `Domain '${(await defineDomain(conn, xml)).name}' XML configuration edited.`,
        notChanged: `Domain '${dom.name}' XML configuration not changed.`,
        describeError,
      },
      ctx.out,
    );
  },
};

export const editCommands: CommandDecl[] = [edit];
