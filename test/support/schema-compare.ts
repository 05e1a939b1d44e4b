// Compares a resource as a Pulumi package schema describes it with the same
// resource as a TypeScript SDK declares it. Both sides are first read into
// one neutral model (PropertyShape), so that the comparison knows neither
// JSON schema nor TypeScript syntax. The SDK side is read by
// sdk-declarations.ts; the schema side here.

/** A property's type, with every Input/Output wrapper and `| undefined` taken off. */
export type Shape =
    | { readonly kind: "scalar"; readonly scalar: ScalarKind }
    | { readonly kind: "array"; readonly items: Shape }
    | { readonly kind: "map"; readonly values: Shape }
    | { readonly kind: "object"; readonly typeName: string; readonly properties: PropertyShapes };

/**
 * "number" on the SDK side stands for both of the schema's "integer" and
 * "number": TypeScript has one number type, and the generator writes both as it.
 */
export type ScalarKind = "string" | "integer" | "number" | "boolean" | "any";

export interface PropertyShape {
    readonly required: boolean;
    readonly shape: Shape;
}

export type PropertyShapes = ReadonlyMap<string, PropertyShape>;

/** What a resource offers: its constructor's arguments, its outputs and the state that `get` takes. */
export interface ResourceShapes {
    readonly inputs: PropertyShapes;
    readonly outputs: PropertyShapes;
    readonly state: PropertyShapes;
}

export type ResourceSide = keyof ResourceShapes;

// ---- The schema's JSON, as far as this comparison reads it -------------------

export interface SchemaPropertySpec {
    type?: string;
    items?: SchemaPropertySpec;
    additionalProperties?: SchemaPropertySpec;
    $ref?: string;
}

export interface SchemaObjectTypeSpec {
    type?: string;
    properties?: Record<string, SchemaPropertySpec>;
    required?: string[];
    /**
     * The Node.js generator lets these lists replace `required` on one side
     * of a type (pkg/codegen/nodejs/gen.go, genType); the bridge writes
     * requiredOutputs for nested blocks whose attributes are all computed.
     */
    language?: { nodejs?: { requiredInputs?: string[]; requiredOutputs?: string[] } };
}

export interface SchemaResourceSpec {
    properties?: Record<string, SchemaPropertySpec>;
    required?: string[];
    inputProperties?: Record<string, SchemaPropertySpec>;
    requiredInputs?: string[];
    stateInputs?: { properties?: Record<string, SchemaPropertySpec> };
}

export interface PulumiPackageSchema {
    resources: Record<string, SchemaResourceSpec>;
    types: Record<string, SchemaObjectTypeSpec>;
}

const LOCAL_TYPE_REF = "#/types/";
const ANY_REF = "pulumi.json#/Any";

/** Which way a nested object type is seen: its required list differs between the two. */
type TypeSide = "input" | "output";

function typeNameOfToken(token: string): string {
    // docker:index/ContainerUpload:ContainerUpload -> ContainerUpload, the name the SDK's interface has.
    return token.slice(token.lastIndexOf(":") + 1);
}

function schemaShape(schema: PulumiPackageSchema, spec: SchemaPropertySpec, side: TypeSide, where: string, visiting: readonly string[]): Shape {
    if (spec.$ref !== undefined) {
        if (spec.$ref === ANY_REF) return { kind: "scalar", scalar: "any" };
        if (!spec.$ref.startsWith(LOCAL_TYPE_REF)) throw new Error(`${where}: unsupported $ref ${spec.$ref}`);
        const token = spec.$ref.slice(LOCAL_TYPE_REF.length);
        const objectType = schema.types[token];
        if (objectType === undefined) throw new Error(`${where}: $ref to ${token}, which the schema's types do not have`);
        // Docker's types nest but never refer to themselves; a cycle would mean a misread.
        if (visiting.includes(token)) throw new Error(`${where}: ${token} refers to itself`);
        const nodejs = objectType.language?.nodejs;
        const required = (side === "input" ? nodejs?.requiredInputs : nodejs?.requiredOutputs) ?? objectType.required ?? [];
        return {
            kind: "object",
            typeName: typeNameOfToken(token),
            properties: schemaProperties(schema, objectType.properties ?? {}, required, side, where, [...visiting, token]),
        };
    }
    switch (spec.type) {
        case "string":
        case "integer":
        case "number":
        case "boolean":
            return { kind: "scalar", scalar: spec.type };
        case "array":
            if (spec.items === undefined) throw new Error(`${where}: array without items`);
            return { kind: "array", items: schemaShape(schema, spec.items, side, `${where}[]`, visiting) };
        case "object":
            if (spec.additionalProperties === undefined) throw new Error(`${where}: object without additionalProperties`);
            return { kind: "map", values: schemaShape(schema, spec.additionalProperties, side, `${where}{}`, visiting) };
        default:
            throw new Error(`${where}: unsupported schema type ${JSON.stringify(spec)}`);
    }
}

function schemaProperties(
    schema: PulumiPackageSchema,
    specs: Record<string, SchemaPropertySpec>,
    required: readonly string[],
    side: TypeSide,
    where: string,
    visiting: readonly string[] = [],
): PropertyShapes {
    const unknownRequired = required.filter((name) => !(name in specs));
    if (unknownRequired.length > 0) throw new Error(`${where}: required names no property: ${unknownRequired.join(", ")}`);
    return new Map(
        Object.entries(specs).map(([name, spec]) => [
            name,
            { required: required.includes(name), shape: schemaShape(schema, spec, side, `${where}.${name}`, visiting) },
        ]),
    );
}

/** A resource as the schema describes it; throws if the schema has no such token. */
export function schemaResourceShapes(schema: PulumiPackageSchema, token: string): ResourceShapes {
    const resource = schema.resources[token];
    if (resource === undefined) throw new Error(`the schema has no resource ${token}`);
    return {
        inputs: schemaProperties(schema, resource.inputProperties ?? {}, resource.requiredInputs ?? [], "input", `${token} inputs`),
        outputs: schemaProperties(schema, resource.properties ?? {}, resource.required ?? [], "output", `${token} outputs`),
        // A state is what `get` may be given, every property of it optional.
        state: schemaProperties(schema, resource.stateInputs?.properties ?? {}, [], "input", `${token} state`),
    };
}

// ---- The comparison -----------------------------------------------------------

export interface Comparison {
    /** One line per disagreement: "<path>: <what the schema says>, <what the SDK says>". */
    readonly disagreements: readonly string[];
    /** How many properties were compared on each side of the resource, by name in either. */
    readonly compared: Readonly<Record<ResourceSide, number>>;
    /** How many properties of nested object types were compared, all sides together. */
    readonly comparedNested: number;
}

function describeShape(shape: Shape): string {
    switch (shape.kind) {
        case "scalar":
            return shape.scalar;
        case "array":
            return "array";
        case "map":
            return "map";
        case "object":
            return `object ${shape.typeName}`;
    }
}

function scalarsAgree(inSchema: ScalarKind, inSdk: ScalarKind): boolean {
    return inSchema === inSdk || (inSdk === "number" && inSchema === "integer");
}

class Comparer {
    readonly disagreements: string[] = [];
    comparedNested = 0;

    /** Returns how many property names the two sides have between them. */
    properties(path: string, inSchema: PropertyShapes, inSdk: PropertyShapes, nested: boolean): number {
        const names = [...new Set([...inSchema.keys(), ...inSdk.keys()])].sort();
        for (const name of names) {
            const schemaProperty = inSchema.get(name);
            const sdkProperty = inSdk.get(name);
            const propertyPath = `${path}.${name}`;
            if (sdkProperty === undefined) {
                this.disagreements.push(`${propertyPath}: in schema, not in SDK`);
            } else if (schemaProperty === undefined) {
                this.disagreements.push(`${propertyPath}: in SDK, not in schema`);
            } else {
                if (schemaProperty.required !== sdkProperty.required) {
                    const says = (required: boolean) => (required ? "required" : "optional");
                    this.disagreements.push(`${propertyPath}: ${says(schemaProperty.required)} in schema, ${says(sdkProperty.required)} in SDK`);
                }
                this.shape(propertyPath, schemaProperty.shape, sdkProperty.shape);
            }
        }
        if (nested) this.comparedNested += names.length;
        return names.length;
    }

    private shape(path: string, inSchema: Shape, inSdk: Shape): void {
        const differ = () => this.disagreements.push(`${path}: ${describeShape(inSchema)} in schema, ${describeShape(inSdk)} in SDK`);
        if (inSchema.kind === "scalar" && inSdk.kind === "scalar") {
            if (!scalarsAgree(inSchema.scalar, inSdk.scalar)) differ();
        } else if (inSchema.kind === "array" && inSdk.kind === "array") {
            this.shape(`${path}[]`, inSchema.items, inSdk.items);
        } else if (inSchema.kind === "map" && inSdk.kind === "map") {
            this.shape(`${path}{}`, inSchema.values, inSdk.values);
        } else if (inSchema.kind === "object" && inSdk.kind === "object") {
            if (inSchema.typeName !== inSdk.typeName) differ();
            this.properties(path, inSchema.properties, inSdk.properties, true);
        } else {
            differ();
        }
    }
}

/** Every disagreement between the two descriptions of one resource, named by `resourceName` in the paths. */
export function compareResource(resourceName: string, inSchema: ResourceShapes, inSdk: ResourceShapes): Comparison {
    const comparer = new Comparer();
    const side = (name: ResourceSide) => comparer.properties(`${resourceName}.${name}`, inSchema[name], inSdk[name], false);
    const compared = { inputs: side("inputs"), outputs: side("outputs"), state: side("state") };
    return { disagreements: comparer.disagreements, compared, comparedNested: comparer.comparedNested };
}
