// A view's or table's COMMENT as the reference reads it: plain text is the tool's description; a
// JSON object may give `title`, `description`, `params` (a description per parameter or column)
// and `annotations` (`openWorldHint`). Anything else in the JSON is ignored; a comment that is
// not a JSON object is plain text.

export interface ToolComment {
  title?: string;
  description?: string;
  params: Record<string, string>;
  openWorldHint?: boolean;
  /** The comment was a JSON object. */
  structured: boolean;
}

/** Descriptions longer than this are cut: a model reads every tool's description on every turn. */
export const MAX_DESCRIPTION_LENGTH = 2000;

export function clip(text: string, max = MAX_DESCRIPTION_LENGTH): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

export function parseToolComment(comment: string): ToolComment {
  const trimmed = comment.trim();
  if (!trimmed.startsWith("{")) {
    return { ...(trimmed && { description: trimmed }), params: {}, structured: false };
  }
  let data: unknown;
  try {
    data = JSON.parse(trimmed);
  } catch {
    return { description: trimmed, params: {}, structured: false };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { description: trimmed, params: {}, structured: false };
  }
  const record = data as Record<string, unknown>;
  const params: Record<string, string> = {};
  if (typeof record.params === "object" && record.params !== null && !Array.isArray(record.params)) {
    for (const [name, text] of Object.entries(record.params as Record<string, unknown>)) {
      const value = nonEmpty(text);
      if (value !== undefined) params[name] = value;
    }
  }
  const annotations = record.annotations;
  const openWorldHint =
    typeof annotations === "object" && annotations !== null
      ? (annotations as Record<string, unknown>).openWorldHint
      : undefined;
  const title = nonEmpty(record.title);
  const description = nonEmpty(record.description);
  return {
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    params,
    ...(typeof openWorldHint === "boolean" && { openWorldHint }),
    structured: true,
  };
}
