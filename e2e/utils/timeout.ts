// End-to-end tests build real images and packages: minutes, not seconds.
jest.setTimeout(15 * 60 * 1000);
