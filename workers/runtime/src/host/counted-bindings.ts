// The step's bindings with every call counted: service-binding calls are subrequests.
import type { SubrequestTally } from "../../../../shared/util/subrequests.ts";

/** The binding with every `fetch` counted under `name` (service-binding calls are subrequests). */
export function countedFetcher(fetcher: Fetcher, name: string, tally: SubrequestTally): Fetcher {
  return {
    fetch(input: RequestInfo | URL, init?: RequestInit) {
      tally.add(name);
      return fetcher.fetch(input, init);
    },
    connect: (address: SocketAddress | string, options?: SocketOptions) => fetcher.connect(address, options),
  };
}
