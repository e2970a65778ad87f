/**
 * The price settings applied to the store's cost estimator: per-model prices
 * (`respanInspector.prices`), and the opt-in fetch of the table's current data
 * (`respanInspector.updatePrices`), which runs in the background once.
 */

import type * as vscode from 'vscode';
import type { CostEstimator } from '../core/cost/estimator';
import { updatePriceTable } from '../server/prices';
import type { InspectorSettings } from './settings';

export class PriceSettings {
  /** The fetch of newer prices, once asked for (it runs once per session). */
  private update: Promise<void> | undefined;

  constructor(
    private readonly estimator: CostEstimator,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** Applies `next` (the settings at start, or after a change from `previous`). */
  apply(next: InspectorSettings, previous?: InspectorSettings): void {
    if (previous === undefined || JSON.stringify(next.prices) !== JSON.stringify(previous.prices)) {
      this.estimator.setCustomPrices(next.prices);
      for (const error of next.priceErrors) this.output.warn(`${error}; that price is left out`);
    }
    if (next.updatePrices && this.update === undefined) {
      this.update = updatePriceTable(this.estimator).then(
        (label) => this.output.info(`prices now from ${label}`),
        (error: Error) => this.output.warn(`the price table could not be updated (${error.message}); the bundled table stays in use`),
      );
    }
  }
}
