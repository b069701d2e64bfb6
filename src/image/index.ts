/**
 * The builder image as the docker-image target describes it: Dockerfile,
 * build context, tag and labels, computed without any engine call. The
 * docker-image executor builds it, recipe-build learns its tag from it and
 * purge-image finds builder images by its label.
 */
export * from './spec';
export * from './project';
