export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export type TargetStatus = "met" | "missed" | "reported" | "not measured";

export interface TargetCheck {
  target: string;
  measured: string;
  status: TargetStatus;
}

export interface ScenarioReport {
  name: string;
  durationMs: number;
  tables: Table[];
  /** Every number behind the tables, for the JSON file. */
  data: unknown;
  /** Why the scenario, or parts of it, did not run. */
  skipped: string[];
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function fmtRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;
}

export function fmtRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return "–";
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString("en-US") : perSecond.toFixed(1);
}

export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "–";
  const sign = bytes < 0 ? "-" : "";
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${sign}${(abs / (1024 * 1024)).toFixed(1)} MB`;
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(1)} kB`;
  return `${sign}${abs.toFixed(0)} B`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderTable(table: Table): string {
  const lines = [`#### ${table.title}`, ""];
  lines.push(`| ${table.columns.map(escapeCell).join(" | ")} |`);
  lines.push(`| ${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
  for (const row of table.rows) lines.push(`| ${row.map(escapeCell).join(" | ")} |`);
  for (const note of table.notes ?? []) lines.push("", note);
  lines.push("");
  return lines.join("\n");
}

export function renderTargets(targets: readonly TargetCheck[], quick: boolean): string {
  return renderTable({
    title: quick
      ? "Targets (reported, not asserted; --quick samples too little to judge them)"
      : "Targets (reported, not asserted)",
    columns: ["Target", "Measured", "Status"],
    rows: targets.map((t) => [t.target, t.measured, t.status]),
  });
}

export function skippedTable(name: string, reasons: readonly string[]): Table {
  return { title: `${name}: skipped`, columns: ["What", "Reason"], rows: reasons.map((r) => ["skipped", r]) };
}
