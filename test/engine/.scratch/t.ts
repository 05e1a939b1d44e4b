import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
class Comp extends pulumi.ComponentResource {
  public readonly r: random.RandomPassword;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("vnetlab:index:Lab", name, {foo: "bar"}, opts);
    this.r = new random.RandomPassword(name + "-pw", {length: 8}, {parent: this});
    this.registerOutputs({ r: this.r.result });
  }
}
async function main() {
  await pulumi.runtime.setMocks({
    newResource(a) {
      console.log("NEW", a.type, a.name, a.custom, JSON.stringify(a.inputs));
      if (a.type === "random:index/randomString:RandomString") throw new Error("boom");
      return { id: a.name + "_id", state: { ...a.inputs, result: "x".repeat(8) } };
    },
    call() { return {}; },
  }, "vnetlab", "dev", false);
  const c = new Comp("lab");
  const sec = pulumi.secret("s3cret");
  const p = new random.RandomPassword("p2", { length: 5, overrideSpecial: sec });
  const s = new random.RandomString("s", { length: 5 });
  c.r.result.apply(v => console.log("result", v));
  pulumi.isSecret(c.r.result).then(v => console.log("isSecret", v));
  p.overrideSpecial.apply(v => console.log("override", v));
  pulumi.isSecret(p.overrideSpecial as pulumi.Output<string>).then(v => console.log("override secret?", v));
  s.result.apply(v => console.log("s result", v));
  (s.result as any).promise().then((v: any) => console.log("s promise ok", v), (e: any) => console.log("s promise rejected", e.message));
  setTimeout(() => console.log("end"), 1500);
}
main();
process.on("unhandledRejection", (e) => console.log("UNHANDLED", (e as Error).message));
