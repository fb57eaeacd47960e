// libcni (Debian's, the library containerd and CRI-O use) asks cello-cni
// which spec versions it speaks.
import t from 'tap';
import { dirname } from 'node:path';
import { bin, must, testBin } from '@cello/testkit';
import { SUPPORTED_VERSIONS } from '@cello/cni-types';

t.test('GetVersionInfo through libcni', async (t) => {
  const r = await must(testBin('libcni-driver'), ['-cni-path', dirname(bin('cello-cni')), '-plugin', 'cello-cni', 'version']);
  t.same(JSON.parse(String(r.stdout)), { supportedVersions: [...SUPPORTED_VERSIONS] });
});
