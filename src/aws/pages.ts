// The ELB APIs page with Marker/NextMarker. The SDK's paginators would bypass aws()'s retries and error names,
// so the pages are walked here, each page one aws() call.
import { aws } from './errors.ts';

/** Every item of a Marker-paged describe, page by page (`action` names the call in errors and the call log). */
export async function allMarkerPages<P extends { NextMarker?: string }, T>(
  action: string,
  fetch: (marker: string | undefined) => Promise<P>,
  itemsOf: (page: P) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await aws(action, () => fetch(marker));
    out.push(...(itemsOf(page) ?? []));
    marker = page.NextMarker;
  } while (marker);
  return out;
}
