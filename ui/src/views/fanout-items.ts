// A fanout step's items, page by page: index, status, and each item's output or error.
// Read from the items API, not from the step's record: a large fanout's results are
// paged out of the record, which then holds only a pointer to them.
import { useState } from "preact/hooks";
import type { ItemPage, ItemView } from "../../../shared/contracts/item-page.ts";
import { getItemPage } from "../api.ts";
import { usePolled } from "../hooks.ts";
import { html } from "../html.ts";
import { ErrorBox, Json, StatusBadge } from "./common.ts";

/** Items per page: enough to scan, small enough that a page of large outputs stays quick. */
export const ITEMS_PER_PAGE = 50;

/** An item answered is shown as complete, like a step. */
const badgeStatus = (item: ItemView) => (item.status === "ok" ? "complete" : item.status);

export function FanoutItems({ runId, stepId, running }: { runId: string; stepId: string; running: boolean }) {
  // The first page follows the step while it runs; pages after it are read on request.
  const first = usePolled(() => getItemPage(runId, stepId, null, ITEMS_PER_PAGE), running ? 2000 : 0, [runId, stepId, running]);
  const [more, setMore] = useState<{ key: string; pages: ItemPage[] }>({ key: "", pages: [] });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const key = `${runId}\n${stepId}`;
  const later = more.key === key ? more.pages : [];
  const pages = first.data ? [first.data, ...later] : [];
  const items = pages.flatMap((page) => page.items);
  const next = pages.at(-1)?.next_cursor ?? null;
  const loadMore = async () => {
    if (next === null) return;
    setLoading(true);
    setError(undefined);
    try {
      const page = await getItemPage(runId, stepId, next, ITEMS_PER_PAGE);
      setMore({ key, pages: [...later, page] });
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };
  if (!first.data) return html`<${ErrorBox} error=${first.error} />`;
  return html`<section class="fanout-items" data-testid="fanout-items">
    <h3>Items <span class="muted" data-testid="fanout-items-count">${items.length} of ${first.data.total}</span></h3>
    <table>
      <thead><tr><th>#</th><th>Status</th><th>Output</th></tr></thead>
      <tbody>
        ${items.map(
          (item) => html`<tr data-testid="fanout-item" data-index=${item.index}>
            <td class="mono">${item.index}</td>
            <td><${StatusBadge} status=${badgeStatus(item)} /></td>
            <td>${item.error ? html`<span class="mono error-inline">${item.error}</span>` : item.output !== undefined ? html`<${Json} value=${item.output} label="output" open=${false} />` : null}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${next !== null ? html`<button data-testid="fanout-items-more" disabled=${loading} onClick=${loadMore}>Show ${ITEMS_PER_PAGE} more</button>` : null}
    <${ErrorBox} error=${error} />
  </section>`;
}
