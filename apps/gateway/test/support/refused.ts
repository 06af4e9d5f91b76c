// A request that should be refused: its status and JSON body. A live stream answered by mistake (200) is
// not read (its body never ends), so a broken gateway fails the test on the status instead of hanging it.
export async function refusal(url: string): Promise<{ status: number; body: any; headers: Headers }> {
  const ac = new AbortController();
  const r = await fetch(url, { signal: ac.signal });
  if (r.status === 200) {
    ac.abort();
    return { status: 200, body: null, headers: r.headers };
  }
  return { status: r.status, body: await r.json(), headers: r.headers };
}
