export { serveBenchChild } from './child-plain.mjs';
