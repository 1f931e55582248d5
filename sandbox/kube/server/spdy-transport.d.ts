// spdy-transport (MIT) ships no type declarations; exec-spdy.ts types the part it uses.
declare module 'spdy-transport' {
  const transport: unknown;
  export default transport;
}
