/**
 * Answers to `domain.listAll`, kept while they still hold. A dashboard that polls the list
 * of 1000 domains gets the same frozen answer back as long as no domain was added,
 * removed, renamed, started or stopped; the RPC layer then skips checking and encoding it
 * again (see freezeResult). Whether an answer still holds is decided by comparing it with
 * the list entry by entry, which costs less than building it anew: never a stale answer.
 */
import { freezeResult } from '@tsvirt/common';
import type { DomainRef } from '@tsvirt/common/protocol';
import type { DomainObj } from './domain-obj.js';

type ListedDomain = DomainRef & { title?: string };
export interface ListAnswer {
  domains: ListedDomain[];
}

export interface ListQuery {
  withTitle?: boolean | undefined;
  flags?: object | undefined;
}

function describe(dom: DomainObj, withTitle: boolean): ListedDomain {
  const ref = dom.ref();
  return withTitle ? { ...ref, title: dom.def.title ?? '' } : ref;
}

function stillHolds(answer: ListAnswer, doms: readonly DomainObj[], withTitle: boolean): boolean {
  const listed = answer.domains;
  if (listed.length !== doms.length) return false;
  for (let i = 0; i < doms.length; i++) {
    const dom = doms[i]!;
    const entry = listed[i]!;
    if (entry.uuid !== dom.uuid || entry.name !== dom.name || entry.id !== (dom.active ? dom.id : -1)) return false;
    if (withTitle && entry.title !== (dom.def.title ?? '')) return false;
  }
  return true;
}

export class DomainListAnswers {
  /** The last answer per query (its flags and title option): a handful at most. */
  private readonly last = new Map<string, ListAnswer>();

  /** The answer for `doms` (already filtered and sorted by the list): the kept one when it still holds. */
  answer(doms: readonly DomainObj[], query: ListQuery): ListAnswer {
    const withTitle = query.withTitle ?? false;
    const key = JSON.stringify([query.flags ?? {}, withTitle]);
    const kept = this.last.get(key);
    if (kept && stillHolds(kept, doms, withTitle)) return kept;
    const fresh = freezeResult({ domains: doms.map((dom) => describe(dom, withTitle)) });
    if (this.last.size >= 16) this.last.clear();
    this.last.set(key, fresh);
    return fresh;
  }
}
