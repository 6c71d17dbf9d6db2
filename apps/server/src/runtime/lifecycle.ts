import type { Logger } from "pino";

/**
 * Runs cleanup steps once, last registered first. A step registered after shutdown began runs at
 * once, so a resource that finishes starting during shutdown is not leaked.
 */
export class Lifecycle {
  readonly #steps: { name: string; run: () => Promise<void> }[] = [];
  #stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  add(name: string, run: () => Promise<void>): void {
    if (this.#stopping) {
      void this.#runStep({ name, run });
      return;
    }
    this.#steps.unshift({ name, run });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const step of this.#steps) await this.#runStep(step);
    })();
    return this.#stopping;
  }

  async #runStep(step: { name: string; run: () => Promise<void> }): Promise<void> {
    try {
      await step.run();
      this.logger.debug({ step: step.name }, "stopped");
    } catch (error) {
      this.logger.error({ err: error, step: step.name }, "error while stopping");
    }
  }
}
