// The Docker provider that scripts/setup-pulumi.sh bridges is not
// pulumi-docker, but the program talks to it through the unmodified
// @pulumi/docker SDK from npm. The SDK sends and expects the properties its
// types name; a property the provider's schema names otherwise, shapes
// otherwise or requires otherwise is silently dropped, refused or left
// unset at run time. This test holds the two descriptions side by side.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { toolchainPaths } from "../../automation/toolchain";
import { Comparison, PulumiPackageSchema, compareResource, schemaResourceShapes } from "../support/schema-compare";
import { SdkDeclarations } from "../support/sdk-declarations";

const SDK_DIR = path.dirname(require.resolve("@pulumi/docker/package.json"));
const SDK_VERSION = (require("@pulumi/docker/package.json") as { version: string }).version;

/** The resources vnetlab makes, by their SDK module, class and schema token. */
const RESOURCES = [
    { module: "container", name: "Container", token: "docker:index/container:Container" },
    { module: "network", name: "Network", token: "docker:index/network:Network" },
    { module: "remoteImage", name: "RemoteImage", token: "docker:index/remoteImage:RemoteImage" },
    { module: "volume", name: "Volume", token: "docker:index/volume:Volume" },
] as const;

/**
 * Disagreements that the bridged schema cannot avoid, each exactly as the
 * comparison writes it and with the reason it is harmless. Empty: the schema
 * agrees with the SDK everywhere. An entry that stops occurring fails the test,
 * so that the list never outlives its reasons.
 */
const ACCEPTED_DISAGREEMENTS: ReadonlyArray<{ readonly disagreement: string; readonly why: string }> = [];

let sdkCache: SdkDeclarations | undefined;
const sdk = (): SdkDeclarations => (sdkCache ??= new SdkDeclarations(SDK_DIR, RESOURCES.map((r) => r.module)));

let schemaCache: PulumiPackageSchema | undefined;
function schema(): PulumiPackageSchema {
    if (schemaCache === undefined) {
        const file = toolchainPaths().dockerSchema;
        // A missing schema fails rather than skips: without it nothing says the provider fits the SDK.
        if (!fs.existsSync(file)) throw new Error(`no schema at ${file}: run npm run setup:pulumi`);
        schemaCache = JSON.parse(fs.readFileSync(file, "utf8")) as PulumiPackageSchema;
    }
    return schemaCache;
}

function compareAll(packageSchema: PulumiPackageSchema): Map<string, Comparison> {
    return new Map(
        RESOURCES.map((r) => [r.name, compareResource(r.name, schemaResourceShapes(packageSchema, r.token), sdk().resource(r.module, r.name))]),
    );
}

const allDisagreements = (comparisons: Map<string, Comparison>): string[] => [...comparisons.values()].flatMap((c) => c.disagreements).sort();

describe(`Docker provider schema against @pulumi/docker ${SDK_VERSION}'s types`, function () {
    for (const { name } of RESOURCES) {
        it(`${name}: every input, output and state property has the same name, shape and required-ness`, function () {
            const comparison = compareAll(schema()).get(name);
            if (comparison === undefined) throw new Error(`no comparison for ${name}`);
            const { inputs, outputs, state } = comparison.compared;
            console.log(`      ${name}: compared ${inputs} inputs, ${outputs} outputs, ${state} state properties, ${comparison.comparedNested} properties of nested types`);
            // Guards against comparing two empty lists because one side was misread.
            expect(Math.min(inputs, outputs, state), `${name} has no properties on some side`).to.be.greaterThan(0);
            const accepted = new Set(ACCEPTED_DISAGREEMENTS.map((a) => a.disagreement));
            const unaccepted = comparison.disagreements.filter((d) => !accepted.has(d));
            expect(unaccepted, `${unaccepted.length} disagreements:\n${unaccepted.join("\n")}\n`).to.deep.equal([]);
        });
    }

    it("every accepted disagreement still occurs", function () {
        const found = new Set(allDisagreements(compareAll(schema())));
        expect(ACCEPTED_DISAGREEMENTS.map((a) => a.disagreement).filter((d) => !found.has(d))).to.deep.equal([]);
    });

    describe("the comparison can fail", function () {
        /** The disagreements a changed copy of the schema has beyond the real schema's own. */
        function addedBy(change: (copy: PulumiPackageSchema) => void): string[] {
            const copy = structuredClone(schema());
            change(copy);
            const before = allDisagreements(compareAll(schema()));
            const after = allDisagreements(compareAll(copy));
            // Every disagreement the real schema has must survive the change, else the change hid one.
            expect(before.filter((d) => !after.includes(d)), "disagreements the change made disappear").to.deep.equal([]);
            return after.filter((d) => !before.includes(d));
        }

        it("a renamed input and an input made optional are found, and nothing else", function () {
            const added = addedBy((copy) => {
                const container = copy.resources["docker:index/container:Container"];
                const inputs = container.inputProperties ?? {};
                if (!("hostname" in inputs) || !container.requiredInputs?.includes("image")) throw new Error("the schema's Container changed: pick other properties");
                inputs.hostName = inputs.hostname;
                delete inputs.hostname;
                container.requiredInputs = container.requiredInputs.filter((n) => n !== "image");
            });
            // A renamed property is missing under its old name and unknown under its new one: two paths.
            expect(added).to.deep.equal([
                "Container.inputs.hostName: in schema, not in SDK",
                "Container.inputs.hostname: in SDK, not in schema",
                "Container.inputs.image: optional in schema, required in SDK",
            ]);
        });

        it("an output the provider may leave unset is found", function () {
            const added = addedBy((copy) => {
                const container = copy.resources["docker:index/container:Container"];
                if (!container.required?.includes("bridge")) throw new Error("the schema's Container changed: pick another output");
                container.required = container.required.filter((n) => n !== "bridge");
            });
            expect(added).to.deep.equal(["Container.outputs.bridge: optional in schema, required in SDK"]);
        });

        it("a nested type's changed property kind and required-ness are found wherever the type is used", function () {
            const added = addedBy((copy) => {
                const networksAdvanced = copy.types["docker:index/ContainerNetworksAdvanced:ContainerNetworksAdvanced"];
                const gwPriority = networksAdvanced?.properties?.gwPriority;
                if (gwPriority?.type !== "integer" || !("ipv4Address" in (networksAdvanced.properties ?? {})) || networksAdvanced.required?.includes("ipv4Address")) {
                    throw new Error("the schema's ContainerNetworksAdvanced changed: pick other properties");
                }
                gwPriority.type = "string";
                networksAdvanced.required = [...(networksAdvanced.required ?? []), "ipv4Address"];
            });
            expect(added).to.deep.equal(
                ["inputs", "outputs", "state"]
                    .flatMap((side) => [
                        `Container.${side}.networksAdvanced[].gwPriority: string in schema, number in SDK`,
                        `Container.${side}.networksAdvanced[].ipv4Address: required in schema, optional in SDK`,
                    ])
                    .sort(),
            );
        });
    });
});
