/**
 * `response` with `done` called once its body has been sent in full, has failed, or was cancelled by
 * the client; at once for a response without a body. A streamed MCP answer (progress, then the
 * result) is still work in progress after its headers are out: the per-token call slot and
 * shutdown's count must last until its end.
 */
export function onBodyEnd(response: Response, done: () => void): Response {
  const body = response.body;
  if (!body) {
    done();
    return response;
  }
  const reader = body.getReader();
  const wrapped = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: finished } = await reader.read();
        if (finished) {
          done();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
  return new Response(wrapped, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
