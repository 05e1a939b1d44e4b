// Reads a Pulumi TypeScript SDK's resources from its .d.ts files with the
// TypeScript compiler, into the model of schema-compare.ts. Only the forms
// Pulumi's Node.js generator writes are understood; anything else throws,
// so that a new form is looked at rather than compared wrongly.
import * as path from "path";
import * as ts from "typescript";
import { PropertyShape, PropertyShapes, ResourceShapes, ScalarKind, Shape } from "./schema-compare";

interface ReadType {
    readonly shape: Shape;
    /** Whether `undefined` is one of the type's members, at any depth of Input/Output. */
    readonly mayBeUndefined: boolean;
}

const SCALAR_KEYWORDS: ReadonlyMap<ts.SyntaxKind, ScalarKind> = new Map([
    [ts.SyntaxKind.StringKeyword, "string"],
    [ts.SyntaxKind.NumberKeyword, "number"],
    [ts.SyntaxKind.BooleanKeyword, "boolean"],
    [ts.SyntaxKind.AnyKeyword, "any"],
]);

/** pulumi.Input<T> and pulumi.Output<T> say when a value is known, not what it is. */
const PULUMI_WRAPPERS = new Set(["Input", "Output"]);

function propertyName(name: ts.PropertyName, where: string): string {
    if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
    throw new Error(`${where}: unsupported property name ${ts.SyntaxKind[name.kind]}`);
}

export class SdkDeclarations {
    private readonly program: ts.Program;
    private readonly checker: ts.TypeChecker;
    private readonly pulumiDir: string;

    /**
     * @param packageDir the SDK's folder (the one with package.json)
     * @param modules the SDK's modules to read, by file name without .d.ts: "container"
     */
    constructor(
        private readonly packageDir: string,
        modules: readonly string[],
    ) {
        this.program = ts.createProgram(
            modules.map((module) => this.moduleFile(module)),
            { noEmit: true, strict: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Node10 },
        );
        this.checker = this.program.getTypeChecker();
        this.pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [packageDir] }));
    }

    private moduleFile(module: string): string {
        return path.join(this.packageDir, `${module}.d.ts`);
    }

    /** The resource class `className` of `module`, its `<className>Args` and `<className>State`. */
    resource(module: string, className: string): ResourceShapes {
        const file = this.moduleFile(module);
        const source = this.program.getSourceFile(file);
        if (source === undefined) throw new Error(`${file}: not read`);
        const resourceClass = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === className);
        if (resourceClass === undefined) throw new Error(`${file}: no class ${className}`);
        const declaredInterface = (name: string): ts.InterfaceDeclaration => {
            const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
            if (found === undefined) throw new Error(`${file}: no interface ${name}`);
            return found;
        };
        return {
            inputs: this.interfaceProperties(declaredInterface(`${className}Args`), []),
            outputs: this.classOutputs(resourceClass),
            state: this.interfaceProperties(declaredInterface(`${className}State`), []),
        };
    }

    /**
     * The class's own public readonly properties. `id`, `urn` and the other
     * members of pulumi.CustomResource are inherited, not declared here, so
     * they are not among them.
     */
    private classOutputs(resourceClass: ts.ClassDeclaration): PropertyShapes {
        const className = resourceClass.name?.text ?? "(anonymous class)";
        const outputs = new Map<string, PropertyShape>();
        for (const member of resourceClass.members) {
            const flags = ts.getCombinedModifierFlags(member);
            if (ts.isConstructorDeclaration(member) || flags & ts.ModifierFlags.Static) continue;
            if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
            const where = `${className}.${member.name ? propertyName(member.name, className) : "?"}`;
            if (!ts.isPropertyDeclaration(member) || !(flags & ts.ModifierFlags.Readonly) || member.type === undefined) {
                throw new Error(`${where}: a public member that is not a typed readonly property`);
            }
            if (!this.isPulumiWrapper(member.type, "Output")) throw new Error(`${where}: not a pulumi.Output`);
            const read = this.readType(member.type, where, []);
            // The generator writes Output<T | undefined> for outputs the provider may leave unset.
            outputs.set(propertyName(member.name, className), { required: !read.mayBeUndefined, shape: read.shape });
        }
        return outputs;
    }

    private interfaceProperties(declaration: ts.InterfaceDeclaration, visiting: readonly string[]): PropertyShapes {
        const interfaceName = declaration.name.text;
        if (declaration.heritageClauses !== undefined || declaration.typeParameters !== undefined) {
            throw new Error(`${interfaceName}: an interface that extends another or is generic`);
        }
        const properties = new Map<string, PropertyShape>();
        for (const member of declaration.members) {
            if (!ts.isPropertySignature(member) || member.type === undefined) throw new Error(`${interfaceName}: a member that is not a typed property`);
            const name = propertyName(member.name, interfaceName);
            const read = this.readType(member.type, `${interfaceName}.${name}`, visiting);
            properties.set(name, { required: member.questionToken === undefined, shape: read.shape });
        }
        return properties;
    }

    private referencedDeclaration(reference: ts.TypeReferenceNode): ts.Declaration | undefined {
        const name = ts.isQualifiedName(reference.typeName) ? reference.typeName.right : reference.typeName;
        let symbol = this.checker.getSymbolAtLocation(name);
        if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
        return symbol?.declarations?.[0];
    }

    private isPulumiWrapper(node: ts.TypeNode, wrapper: string): boolean {
        if (!ts.isTypeReferenceNode(node)) return false;
        const declaration = this.referencedDeclaration(node);
        if (declaration === undefined || !ts.isTypeAliasDeclaration(declaration)) return false;
        const inPulumi = !path.relative(this.pulumiDir, declaration.getSourceFile().fileName).startsWith("..");
        return inPulumi && declaration.name.text === wrapper;
    }

    private readType(node: ts.TypeNode, where: string, visiting: readonly string[]): ReadType {
        const scalar = SCALAR_KEYWORDS.get(node.kind);
        if (scalar !== undefined) return { shape: { kind: "scalar", scalar }, mayBeUndefined: false };
        if (ts.isParenthesizedTypeNode(node)) return this.readType(node.type, where, visiting);
        if (ts.isUnionTypeNode(node)) {
            const defined = node.types.filter((member) => member.kind !== ts.SyntaxKind.UndefinedKeyword);
            if (defined.length !== 1) throw new Error(`${where}: a union of ${defined.length} types other than undefined`);
            const read = this.readType(defined[0], where, visiting);
            return { shape: read.shape, mayBeUndefined: read.mayBeUndefined || defined.length < node.types.length };
        }
        if (ts.isArrayTypeNode(node)) {
            return { shape: { kind: "array", items: this.readType(node.elementType, `${where}[]`, visiting).shape }, mayBeUndefined: false };
        }
        if (ts.isTypeLiteralNode(node)) {
            // The generator's map: { [key: string]: T }.
            const index = node.members.length === 1 ? node.members[0] : undefined;
            if (index === undefined || !ts.isIndexSignatureDeclaration(index) || index.parameters.length !== 1 || index.parameters[0].type?.kind !== ts.SyntaxKind.StringKeyword) {
                throw new Error(`${where}: a type literal other than { [key: string]: T }`);
            }
            return { shape: { kind: "map", values: this.readType(index.type, `${where}{}`, visiting).shape }, mayBeUndefined: false };
        }
        if (ts.isTypeReferenceNode(node)) {
            if ([...PULUMI_WRAPPERS].some((wrapper) => this.isPulumiWrapper(node, wrapper))) {
                const [wrapped, ...more] = node.typeArguments ?? [];
                if (wrapped === undefined || more.length > 0) throw new Error(`${where}: a pulumi wrapper without exactly one type argument`);
                return this.readType(wrapped, where, visiting);
            }
            const declaration = this.referencedDeclaration(node);
            const typesDir = path.join(this.packageDir, "types");
            if (declaration !== undefined && ts.isInterfaceDeclaration(declaration) && path.dirname(declaration.getSourceFile().fileName) === typesDir) {
                const typeName = declaration.name.text;
                // As on the schema side: Docker's types never refer to themselves.
                if (visiting.includes(typeName)) throw new Error(`${where}: ${typeName} refers to itself`);
                return {
                    shape: { kind: "object", typeName, properties: this.interfaceProperties(declaration, [...visiting, typeName]) },
                    mayBeUndefined: false,
                };
            }
            throw new Error(`${where}: a reference to ${node.typeName.getText()}, neither a pulumi wrapper nor one of the SDK's types`);
        }
        throw new Error(`${where}: unsupported type ${ts.SyntaxKind[node.kind]}`);
    }
}
