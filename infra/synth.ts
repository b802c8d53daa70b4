import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from './app.ts';

/** A synthesized CloudFormation resource, as the infra tests read it. */
export interface CfnResource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
  Properties: Record<string, any>;
  DependsOn?: string[];
  Metadata?: Record<string, unknown>;
}

/** Builds the app for the infra tests (bundling skipped: they are about the template) with every stack's resources. */
export function synthForTest(context: Record<string, unknown> = {}) {
  const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
  const assembly = built.app.synth();
  const stacks = built.app.node.children.filter(Stack.isStack);
  const templates = new Map(stacks.map((s) => [s.stackName, Template.fromStack(s)]));
  const resources = (stack: Stack) => templates.get(stack.stackName)!.toJSON().Resources as Record<string, CfnResource>;
  /** Every resource of every stack, keyed `<stack>/<logicalId>`. */
  const all: Array<[string, CfnResource, Stack]> = stacks.flatMap((s) =>
    Object.entries(resources(s)).map(([id, r]) => [`${s.stackName}/${id}`, r, s] as [string, CfnResource, Stack]),
  );
  return { ...built, assembly, stacks, templates, resources, all };
}
