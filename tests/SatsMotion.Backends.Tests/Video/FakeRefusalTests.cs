using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Backends.Tests.Video.ComfyUi;
using SatsMotion.Backends.Tests.Video.Fal;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>
/// The strict fakes refuse what the services refuse, in the services' own shapes: inputs that break a preset
/// model's schema are posted straight to each fake, and the answer must be the one written here by hand from the
/// provider's source, not one computed by the validator the fakes and the preflight share.
/// </summary>
public sealed class FakeRefusalTests : IAsyncLifetime
{
    private readonly FakeReplicate _replicate = new();
    private readonly FakeFal _fal = new();
    private readonly FakeComfyUi _comfyUi = new();

    public Task InitializeAsync() => Task.WhenAll(_replicate.StartAsync(), _fal.StartAsync(), _comfyUi.StartAsync());

    public async Task DisposeAsync()
    {
        await _replicate.DisposeAsync();
        await _fal.DisposeAsync();
        await _comfyUi.DisposeAsync();
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(Uri address, string path, AuthenticationHeaderValue? authorization, string body)
    {
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = authorization;
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonNode>());
    }

    private static void AssertAnswer(HttpStatusCode expectedStatus, string expectedBody, (HttpStatusCode Status, JsonNode? Body) answer)
    {
        Assert.Equal(expectedStatus, answer.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedBody), answer.Body), $"the fake answered {answer.Body?.ToJsonString()}");
    }

    // Replicate: a problem details body as replicate-python's ReplicateError reads it (replicate/exceptions.py at
    // 0110c2c5639763a44e73d69011eaec28a15334f7: type, title, status, detail, instance), with "invalid_fields" and the
    // wording of Replicate's own 422 answers as public reports quote them ("- input.seed: Invalid type. Expected:
    // integer, given: null", "scheduler must be one of the following: \"EulerA\", …"): gojsonschema's default
    // messages (locales.go of xeipuuv/gojsonschema at 138e0876e4fc925d2d3a6d8d1d0be1f845309c70). Replicate's
    // server is not public: these are its answers' shape, not its code.
    public static TheoryData<string, string, string> ReplicateRefusals => new()
    {
        {
            // wan-2.2-i2v-fast's num_frames is 81..121: the README's old 5 s × 16 fps.
            "v1/models/wan-video/wan-2.2-i2v-fast/predictions",
            """{"input": {"image": "https://example.com/a.png", "prompt": "a pan", "num_frames": 80, "frames_per_second": 16, "resolution": "480p"}}""",
            """
            {"title": "Input validation failed", "detail": "- input.num_frames: Must be greater than or equal to 81\n", "status": 422,
             "invalid_fields": [{"type": "number_gte", "field": "input.num_frames", "description": "Must be greater than or equal to 81"}]}
            """
        },
        {
            // Kling 2.1's duration is the integer 5 or 10: the text "5" is of the wrong type, and only that is said.
            "v1/models/kwaivgi/kling-v2.1/predictions",
            """{"input": {"start_image": "https://example.com/a.png", "prompt": "a pan", "duration": "5"}}""",
            """
            {"title": "Input validation failed", "detail": "- input.duration: Invalid type. Expected: integer, given: string\n", "status": 422,
             "invalid_fields": [{"type": "invalid_type", "field": "input.duration", "description": "Invalid type. Expected: integer, given: string"}]}
            """
        },
        {
            // Seedance requires a prompt.
            "v1/models/bytedance/seedance-1-lite/predictions",
            """{"input": {"image": "https://example.com/a.png", "duration": 5}}""",
            """
            {"title": "Input validation failed", "detail": "- input: prompt is required\n", "status": 422,
             "invalid_fields": [{"type": "required", "field": "input", "description": "prompt is required"}]}
            """
        },
    };

    [Theory]
    [MemberData(nameof(ReplicateRefusals))]
    public async Task Replicate_refuses_an_input_that_breaks_the_models_schema_with_its_422(string path, string body, string expected)
    {
        AssertAnswer(HttpStatusCode.UnprocessableEntity, expected,
            await PostAsync(_replicate.Address, path, new AuthenticationHeaderValue("Bearer", FakeReplicate.Token), body));
        Assert.Equal(0, _replicate.Submissions);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Replicate_checks_a_create_for_a_pinned_version_against_that_versions_schema(bool withModelName)
    {
        // POST /v1/predictions names the version alone (a bare id, as owner/name:version settings send it) or with its model.
        var id = FakeReplicate.VersionOf("wan-video/wan-2.2-i2v-fast");
        var version = withModelName ? $"wan-video/wan-2.2-i2v-fast:{id}" : id;
        var key = new AuthenticationHeaderValue("Bearer", FakeReplicate.Token);
        var input = new JsonObject { ["image"] = "https://example.com/a.png", ["prompt"] = "a pan", ["num_frames"] = 81, ["resolution"] = "1080p" };
        AssertAnswer(HttpStatusCode.UnprocessableEntity, """
            {"title": "Input validation failed", "detail": "- input.resolution: resolution must be one of the following: \"480p\", \"720p\"\n", "status": 422,
             "invalid_fields": [{"type": "enum", "field": "input.resolution", "description": "resolution must be one of the following: \"480p\", \"720p\""}]}
            """, await PostAsync(_replicate.Address, "v1/predictions", key, new JsonObject { ["version"] = version, ["input"] = input.DeepClone() }.ToJsonString()));
        Assert.Equal(0, _replicate.Submissions);

        // The same version with an input that fits is created.
        input["resolution"] = "480p";
        var (status, _) = await PostAsync(_replicate.Address, "v1/predictions", key, new JsonObject { ["version"] = version, ["input"] = input }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(1, _replicate.Submissions);
    }

    // fal: 422 {"detail": [{loc, msg, type, …}]}, the body fal-js reads as a ValidationError (libs/client/src/response.ts
    // at 381105e138b85502b528fb8f6c16d909e30e462a), each entry as fal's error reference (docs.fal.ai/errors) documents
    // its type: one_of with ctx.expected, greater_than_equal with ctx.ge, a url to the type, and the input sent.
    public static TheoryData<string, string, string> FalRefusals => new()
    {
        {
            // fal's Kling takes its duration as the text "5" or "10": the number 5 is none of them.
            "fal-ai/kling-video/v2.1/standard/image-to-video",
            """{"image_url": "https://example.com/a.png", "prompt": "a pan", "duration": 5}""",
            """
            {"detail": [{"loc": ["body", "duration"], "msg": "Input should be '5' or '10'", "type": "one_of",
              "url": "https://docs.fal.ai/errors/#one_of", "ctx": {"expected": ["5", "10"]}, "input": 5}]}
            """
        },
        {
            // Wan 2.2 A14B on fal takes 17 to 161 frames.
            "fal-ai/wan/v2.2-a14b/image-to-video",
            """{"image_url": "https://example.com/a.png", "prompt": "a pan", "num_frames": 12, "frames_per_second": 16, "resolution": "480p"}""",
            """
            {"detail": [{"loc": ["body", "num_frames"], "msg": "Input should be greater than or equal to 17", "type": "greater_than_equal",
              "url": "https://docs.fal.ai/errors/#greater_than_equal", "ctx": {"ge": 17}, "input": 12}]}
            """
        },
    };

    [Theory]
    [MemberData(nameof(FalRefusals))]
    public async Task Fal_refuses_an_input_that_breaks_the_endpoints_schema_with_its_422(string app, string body, string expected)
    {
        AssertAnswer(HttpStatusCode.UnprocessableEntity, expected, await PostAsync(_fal.Address, app, new AuthenticationHeaderValue("Key", FakeFal.Key), body));
        Assert.Equal(0, _fal.Submissions);
    }

    // ComfyUI: POST /prompt answers 400 {"error": valid[1], "node_errors": valid[3]} (server.py post_prompt), the
    // errors as execution.py's validate_inputs and validate_prompt make them (Comfy-Org/ComfyUI execution.py at
    // 04e2a914334246661a77665aa14068a0670e3321; the same lines as at a125cd84, the version the fake follows): the
    // prompt's error lists only the output node's own reasons, and so is empty when the fault is upstream; the faulty
    // node's errors name the input, with its definition and the value for a value out of range.
    public static TheoryData<string, string> ComfyUiRefusals => new()
    {
        {
            """{"length": 0}""",
            """
            {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
             "node_errors": {"10": {"errors": [{"type": "value_smaller_than_min", "message": "Value 0 smaller than min of 1", "details": "length",
                "extra_info": {"input_name": "length", "input_config": ["INT", {"default": 81, "min": 1, "max": 16384, "step": 4}], "received_value": 0}}],
               "dependent_outputs": ["15"], "class_type": "WanImageToVideo"}}}
            """
        },
        {
            """{"vae": null}""",
            """
            {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
             "node_errors": {"10": {"errors": [{"type": "required_input_missing", "message": "Required input is missing", "details": "vae",
                "extra_info": {"input_name": "vae"}}],
               "dependent_outputs": ["15"], "class_type": "WanImageToVideo"}}}
            """
        },
    };

    [Theory]
    [MemberData(nameof(ComfyUiRefusals))]
    public async Task ComfyUI_refuses_a_workflow_that_breaks_its_nodes_with_validate_prompts_400(string changes, string expected)
    {
        // The shipped Wan 2.2 workflow as a 5 s job fills it, with node 10 (WanImageToVideo) changed: a value set, or (null) removed.
        var preset = ModelPresets.Find("comfyui/wan2.2-i2v")!;
        var prompt = InputTemplate.Fill(ModelPresets.WorkflowOf(preset),
            InputTemplate.Values("example.png", new ProviderJob("job", [], "image/png", "a pan", 5, 81, 7)))!.AsObject();
        var inputs = prompt["10"]!["inputs"]!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(changes)!.AsObject())
        {
            if (value is null)
            {
                inputs.Remove(name);
            }
            else
            {
                inputs[name] = value.DeepClone();
            }
        }

        AssertAnswer(HttpStatusCode.BadRequest, expected,
            await PostAsync(_comfyUi.Address, "prompt", null, new JsonObject { ["prompt"] = prompt, ["client_id"] = "test" }.ToJsonString()));
        Assert.Equal(0, _comfyUi.Submissions);
    }
}
