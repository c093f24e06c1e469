/**
 * Cedar policy bundles and the decision for each tool call.
 *
 * <p>{@link dev.cmcp.gateway.policy.PolicyBundleLoader} reads a bundle folder and computes its
 * hash; {@link dev.cmcp.gateway.policy.PolicyEngine} decides {@link
 * dev.cmcp.gateway.policy.AccessRequest}s (tool calls, resource reads, prompts) against it and
 * the catalog, and tells listings what a caller could be permitted ({@code couldPermit}).
 *
 * <p>Decisions taken here, beyond DESIGN.md:
 *
 * <ul>
 *   <li>Policy files are all {@code .cedar} files under the bundle folder, at any depth, and the
 *       {@code policy_files} keys of the bundle hash are their paths relative to the folder
 *       ({@code policies/base.cedar}): the reference implementation does the same, so a bundle
 *       hashes alike in both. File hashes are over the raw bytes; the reference hashes the text
 *       after Python's newline translation, so only CRLF files differ.
 *   <li>Without a schema, {@code schema_hash} is {@code ""} (the reference requires a schema).
 *   <li>Unnamed policies are {@code <path>#<n>}; the path is the same relative path.
 *   <li>Templates (policies with slots) are refused: a bundle has no place for links.
 *   <li>Arguments: whole numbers within Long are Longs however written ({@code 50.0} too);
 *       fractions and numbers beyond Long become strings spelling the exact value, one spelling
 *       per value; nulls are left out; arrays become sets (see {@code CedarValues}).
 *   <li>With a schema, a policy that the validator proves can never apply, or that holds
 *       bidirectional control characters, refuses the bundle like a type error.
 *   <li>The reference spec's {@code resource.tool_name in [...]} is not valid Cedar ({@code in}
 *       is for entities): it fails to evaluate, so it denies. Write {@code [...].contains(
 *       resource.tool_name)}; with a schema the validator catches it at load.
 *   <li>Redaction annotations on satisfied permits make an allow a {@code redact}; a denial
 *       keeps the obligations of the permits that held, for advisory mode, which forwards it.
 *   <li>Requests are evaluated against the slice of the bundle their scope can match (per tool
 *       and named principal; per action for resource reads and prompts), read from Cedar's JSON
 *       form of each policy; a policy left out can neither hold nor fail for that request, so
 *       decisions and determining policies are those of the whole bundle ({@code PolicySlices},
 *       tested against the whole bundle by {@code PolicySlicingTest}). Each slice is a set in
 *       cedar-java's native cache, whose size {@code ./cmcp} raises ({@code
 *       -Dcedar.cache.maxPolicySets}); with less room, tools share slices.
 *   <li>Listing uses Cedar's partial evaluation (cedar-java marks it experimental; the uber jar's
 *       native library has it) with {@code context.arguments} unknown; docs/SPEC.md, Discovery.
 * </ul>
 */
package dev.cmcp.gateway.policy;
