import { MOTO_INSTALL_HINT } from './moto';

describe('the moto harness', () => {
  it('fails with the install command when moto is not there', async () => {
    // GIVEN a Python without moto (here: one that does not exist)
    jest.resetModules();
    process.env.MOTO_PYTHON = '/nonexistent/python3';
    try {
      const { startMoto } = await import('./moto');
      // WHEN a test suite starts its moto server THEN it fails saying how to install moto
      await expect(startMoto()).rejects.toThrow("python3 -m pip install 'moto[server]' cfn-lint");
    } finally {
      delete process.env.MOTO_PYTHON;
    }
  });

  it('names the README section with the requirements', () => {
    expect(MOTO_INSTALL_HINT).toContain("see README, 'Requirements'");
  });
});
