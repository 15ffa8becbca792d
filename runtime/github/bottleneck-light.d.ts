// Types for Bottleneck's "light" build (no Redis clustering; what the Octokit plugins bundle).
declare module "bottleneck/light.js" {
  import Bottleneck from "bottleneck";
  export default Bottleneck;
}
