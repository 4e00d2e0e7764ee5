/** Finding the Python with torch: what a user is told when the one given has no torch (no torch needed here). */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TORCH_INSTALL_HINT, findTorchPython } from '../../src/runtime/torch/launch.js';

describe('findTorchPython', () => {
  it("names the missing module as Python does, quotes included", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-python-'));
    const python = join(dir, 'python3');
    writeFileSync(python, `#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named 'torch'" >&2\nexit 1\n`);
    chmodSync(python, 0o755);
    const found = findTorchPython(python, {});
    expect(found).toHaveProperty('missing');
    expect((found as { missing: string }).missing).toContain(`tried ${python} (No module named 'torch')`);
  });

  it('no Python at all (none on PATH, none at the fallback path): every place tried, and what to install', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mtlc-nopython-'));
    const found = findTorchPython(undefined, { PATH: empty }, ['python3', join(empty, 'usr-bin-python3')]);
    expect(found).toEqual({ missing: `no Python with PyTorch: tried python3 (not found), ${join(empty, 'usr-bin-python3')} (not found); ${TORCH_INSTALL_HINT}` });
  });
});
