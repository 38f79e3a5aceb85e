// xhr2 ships no types: it is Node's stand-in for the browser's XMLHttpRequest.
declare module 'xhr2' {
  const XMLHttpRequest: typeof globalThis.XMLHttpRequest;
  export default XMLHttpRequest;
}
