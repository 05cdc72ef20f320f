import { writeFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import type { Claim } from '../claims.js';
import { formatAddressMap } from '../map.js';
import { planHtml } from './html.js';
import { pictureOf } from './model.js';
import { planSvg } from './svg.js';

/** Where to draw the plan (`--html FILE`, `--svg FILE`). */
export interface PictureFiles {
  html?: string;
  svg?: string;
}

/**
 * Draws the plan's claims, with the check's problems and warnings, into the
 * files asked for; returns the lines to tell the user. Written before
 * a refused plan is reported, so the picture shows what is refused.
 */
export function writePlanPictures(files: PictureFiles, claims: readonly Claim[], problems: readonly string[], warnings: readonly string[]): string[] {
  const picture = pictureOf(claims, problems, warnings);
  const outputs: [string, string | undefined, () => string][] = [
    ['--html', files.html, () => planHtml(picture, formatAddressMap(claims))],
    ['--svg', files.svg, () => planSvg(picture)],
  ];
  const told: string[] = [];
  for (const [flag, file, render] of outputs) {
    if (file === undefined) continue;
    try {
      writeFileSync(file, render());
    } catch (error) {
      throw new UserError(`${flag} ${file}: cannot write the picture of the plan: ${(error as Error).message}`);
    }
    told.push(`picture of the address plan: ${file}`);
  }
  return told;
}
