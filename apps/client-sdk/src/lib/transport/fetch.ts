/** The slice of WHATWG fetch the SDK uses: browsers' and Node 20's global fetch both fit. */
export interface FetchResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export type FetchLike = (url: string, init?: FetchInit) => Promise<FetchResponseLike>;
