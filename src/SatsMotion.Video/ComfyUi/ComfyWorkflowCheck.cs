using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Video.ComfyUi;

/// <summary>One error ComfyUI's validation gives: its type, message and details, and the input it is about.</summary>
public sealed record ComfyError(string Type, string Message, string Details, string? InputName = null);

/// <summary>The errors of one node, and the outputs whose check reached it.</summary>
public sealed record ComfyNodeErrors(string ClassType, List<ComfyError> Errors, List<string> DependentOutputs);

/// <summary>What validating a workflow found: a fault of the whole prompt, or each node's errors and how many outputs passed.</summary>
public sealed record ComfyValidation(ComfyError? PromptError, IReadOnlyDictionary<string, ComfyNodeErrors> NodeErrors, int GoodOutputs)
{
    /// <summary>ComfyUI queues a prompt when no fault of the whole prompt was found and one output passed.</summary>
    public bool Accepted => PromptError is null && GoodOutputs > 0;

    /// <summary>Each problem in one line ("node 50 (WanImageToVideo): Value 80 …: length"), for a log and the models list.</summary>
    public IEnumerable<string> Lines() => PromptError is { } fault && NodeErrors.Count == 0
        ? [$"{fault.Message}{(fault.Details.Length > 0 ? $" ({fault.Details})" : "")}"]
        : NodeErrors.SelectMany(n => n.Value.Errors.Select(e => $"node {n.Key} ({n.Value.ClassType}): {e.Message}{(e.Details.Length > 0 ? $": {e.Details}" : "")}"));
}

/// <summary>
/// The checks ComfyUI's validate_prompt makes (execution.py at Comfy-Org/ComfyUI a125cd84), against the server's own
/// node definitions (GET /object_info): every node's class exists; there is an output node; from each output, the
/// declared inputs of every node it depends on: required ones present, links [node, slot] to a node and an output of
/// the input's type, literal values convertible to the input's type, within its min and max, and for a V1 list one
/// of its values (LoadImage's an uploaded file). Errors are filed as ComfyUI files them (a link that names no node is
/// the error of the node holding it, reported with its consumer's input). With <paramref name="strict"/> it also does
/// what ComfyUI does not, and what a video needs: an INT on its step (a frame count off 4n+1 or 8n+1 is rounded down
/// into a shorter video) and V3 COMBO values. Inputs in <paramref name="uploads"/> take a file uploaded with the job.
/// </summary>
public static class ComfyWorkflowCheck
{
    public static ComfyValidation Validate(JsonObject prompt, JsonObject objectInfo, bool strict = false, IReadOnlySet<(string Node, string Input)>? uploads = null)
    {
        foreach (var (id, node) in prompt)
        {
            if (node is not JsonObject entry || !entry.ContainsKey("class_type"))
            {
                return Fault("invalid_prompt", "Cannot execute because a node is missing the class_type property.", $"Node ID '#{id}'");
            }

            var type = entry["class_type"]?.ToString() ?? "None";
            if (objectInfo[type] is null)
            {
                return Fault("invalid_prompt", $"Cannot execute because node {type} does not exist.", $"Node ID '#{id}'");
            }
        }

        var outputs = prompt.Where(n => objectInfo[n.Value!["class_type"]!.ToString()]?["output_node"]?.GetValue<bool>() == true).Select(n => n.Key).ToList();
        if (outputs.Count == 0)
        {
            return Fault("prompt_no_outputs", "Prompt has no outputs", "");
        }

        var walk = new Walk(prompt, objectInfo, strict, uploads);
        var nodeErrors = new Dictionary<string, ComfyNodeErrors>();
        var good = 0;
        foreach (var output in outputs)
        {
            if (walk.Check(output, consumerInput: null))
            {
                good++;
                continue;
            }

            // As validate_prompt does: a failing output is added to every node that has failed so far.
            foreach (var (id, errors) in walk.Errors)
            {
                if (!nodeErrors.TryGetValue(id, out var entry))
                {
                    nodeErrors[id] = entry = new ComfyNodeErrors(prompt[id]!["class_type"]!.ToString(), errors, []);
                }

                entry.DependentOutputs.Add(output);
            }
        }

        return new ComfyValidation(good > 0 ? null : new ComfyError("prompt_outputs_failed_validation", "Prompt outputs failed validation",
            string.Join("\n", outputs.Where(nodeErrors.ContainsKey).SelectMany(o => nodeErrors[o].Errors).Select(e => $"{e.Message}: {e.Details}"))), nodeErrors, good);
    }

    private static ComfyValidation Fault(string type, string message, string details) => new(new ComfyError(type, message, details), new Dictionary<string, ComfyNodeErrors>(), 0);

    /// <summary>A lookup validate_inputs does not guard (a node id, a slot, a node's inputs): the consumer files it.</summary>
    private sealed class LookupException(string text) : Exception(text);

    private sealed class Walk(JsonObject prompt, JsonObject objectInfo, bool strict, IReadOnlySet<(string, string)>? uploads)
    {
        private readonly Dictionary<string, bool> _done = [];

        public Dictionary<string, List<ComfyError>> Errors { get; } = [];

        public bool Check(string id, string? consumerInput)
        {
            if (_done.TryGetValue(id, out var known))
            {
                return known;
            }

            try
            {
                return _done[id] = CheckInputs(id);
            }
            catch (LookupException e)
            {
                Errors[id] = [consumerInput is null
                    ? new ComfyError("exception_during_validation", "Exception when validating node", e.Message)
                    : new ComfyError("exception_during_inner_validation", "Exception when validating inner node", e.Message, consumerInput)];
                return _done[id] = false;
            }
        }

        private bool CheckInputs(string id)
        {
            var node = prompt[id]!;
            var inputs = node["inputs"] as JsonObject ?? throw new LookupException("'inputs'");
            var definition = objectInfo[node["class_type"]!.ToString()]!;
            var required = definition["input"]?["required"] as JsonObject ?? [];
            var optional = definition["input"]?["optional"] as JsonObject ?? [];
            var errors = new List<ComfyError>();
            var valid = true;
            foreach (var (name, spec) in required.Concat(optional))
            {
                if (!inputs.TryGetPropertyValue(name, out var value))
                {
                    if (required.ContainsKey(name))
                    {
                        errors.Add(new("required_input_missing", "Required input is missing", name, name));
                    }

                    continue;
                }

                var expected = spec![0]!;
                var options = spec.AsArray().Count > 1 ? spec[1] as JsonObject : null;
                if (value is JsonArray link)
                {
                    if (link.Count != 2)
                    {
                        errors.Add(new("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", name, name));
                        continue;
                    }

                    var source = link[0]?.GetValueKind() == JsonValueKind.String ? link[0]!.GetValue<string>() : null;
                    var from = source is null ? null : prompt[source] as JsonObject;
                    if (from is null)
                    {
                        throw new LookupException(source is null ? link[0]?.ToJsonString() ?? "None" : $"'{source}'");
                    }

                    var produced = objectInfo[from["class_type"]!.ToString()]!["output"]!.AsArray();
                    var slot = link[1]?.GetValueKind() == JsonValueKind.Number ? link[1]!.GetValue<int>() : -1;
                    var received = slot >= 0 && slot < produced.Count ? produced[slot]!.ToString() : throw new LookupException("list index out of range");
                    if (expected is JsonValue wanted && !TypesMatch(received, wanted.ToString()))
                    {
                        errors.Add(new("return_type_mismatch", "Return type mismatch between linked nodes", $"{name}, received_type({received}) mismatch input_type({wanted})", name));
                        continue;
                    }

                    valid &= Check(source!, name);
                    continue;
                }

                if (uploads?.Contains((id, name)) != true && CheckValue(name, value, expected, options) is { } error)
                {
                    errors.Add(error);
                }
            }

            if (errors.Count > 0)
            {
                Errors[id] = errors;
            }

            return valid && errors.Count == 0;
        }

        private ComfyError? CheckValue(string name, JsonNode? value, JsonNode expected, JsonObject? options)
        {
            // LoadImage's image is checked by the node itself (VALIDATE_INPUTS): a file of the input folder.
            if (options?["image_upload"]?.GetValue<bool>() == true && expected is JsonArray files)
            {
                var file = value?.ToString() ?? "";
                var bare = file.EndsWith(" [input]", StringComparison.Ordinal) ? file[..^" [input]".Length] : file;
                return files.Any(f => f?.ToString() == bare) ? null : new("custom_validation_failed", "Custom validation failed for node", $"{name} - Invalid image file: {file}", name);
            }

            // A V1 list of values; a V3 COMBO (["COMBO", {"options"}]) only when strict: ComfyUI leaves it to the run.
            var choices = expected as JsonArray ?? (strict && expected.ToString() == "COMBO" ? options?["options"] as JsonArray : null);
            if (choices is not null)
            {
                if (choices.Any(c => JsonNode.DeepEquals(c, value)))
                {
                    return null;
                }

                var shown = choices.Count > 20 ? $"(list of length {choices.Count})" : $"[{string.Join(", ", choices.Select(c => $"'{c}'"))}]";
                return new("value_not_in_list", "Value not in list", $"{name}: '{Python(value)}' not in {shown}", name);
            }

            var kind = expected.ToString();
            if (kind is not ("INT" or "FLOAT"))
            {
                return null; // STRING takes anything through str(), BOOLEAN through bool()
            }

            if (!TryNumber(value, kind == "INT", out var number))
            {
                return new("invalid_input_type", $"Failed to convert an input value to a {kind} value", $"{name}, {Python(value)}", name);
            }

            if (options?["min"] is { } min && number < min.GetValue<decimal>())
            {
                return new("value_smaller_than_min", $"Value {Python(number, kind)} smaller than min of {min.ToJsonString()}", name, name);
            }

            if (options?["max"] is { } max && number > max.GetValue<decimal>())
            {
                return new("value_bigger_than_max", $"Value {Python(number, kind)} bigger than max of {max.ToJsonString()}", name, name);
            }

            if (strict && kind == "INT" && options?["step"]?.GetValue<decimal>() is > 1 and var step && (number - (options["min"]?.GetValue<decimal>() ?? 0)) % step != 0)
            {
                return new("value_off_step", $"Value {Python(number, kind)} is not min {options["min"]} plus a multiple of the step {step} (ComfyUI would round it down)", name, name);
            }

            return null;
        }
    }

    // Types are comma-separated sets that must overlap; "*" takes anything.
    private static bool TypesMatch(string received, string wanted) =>
        received == "*" || wanted == "*" || received.Split(',').Intersect(wanted.Split(',')).Any();

    // int() truncates a float and parses a decimal string; float() parses either.
    private static bool TryNumber(JsonNode? value, bool integer, out decimal number)
    {
        number = 0;
        var parsed = value?.GetValueKind() switch
        {
            JsonValueKind.Number => decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number),
            JsonValueKind.String => decimal.TryParse(value.GetValue<string>().Trim(), integer ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out number),
            JsonValueKind.True or JsonValueKind.False => (number = value.GetValueKind() == JsonValueKind.True ? 1 : 0) is var _,
            _ => false,
        };
        number = integer ? decimal.Truncate(number) : number;
        return parsed;
    }

    // How Python prints a value in these messages: a float always with a decimal point, None for null.
    private static string Python(decimal number, string kind) =>
        kind == "FLOAT" && number == decimal.Truncate(number) ? number.ToString("0.0", CultureInfo.InvariantCulture) : number.ToString(CultureInfo.InvariantCulture);

    private static string Python(JsonNode? value) => value is null ? "None" : value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
}
