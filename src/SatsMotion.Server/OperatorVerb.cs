namespace SatsMotion.Server;

/// <summary>
/// An operator verb on the server's command line ("presets", "revoke-token &lt;token_id&gt; [reason]"): the first
/// argument that is not a setting, and the arguments after it. Settings are told apart as ASP.NET Core's
/// command-line configuration reads them ("--key=value", "--key value", "/key value"; a lone "-k" is skipped), so a
/// setting's value is never taken for a verb, and a verb's own argument ("revoke-token &lt;id&gt; presets") is never
/// taken for another verb.
/// </summary>
public sealed record OperatorVerb(string Name, IReadOnlyList<string> Arguments)
{
    public const string Presets = "presets";
    public const string RevokeToken = "revoke-token";

    /// <summary>The verb on <paramref name="args"/>, or null when there is none (the server runs).</summary>
    public static OperatorVerb? Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) || arg.StartsWith('/'))
            {
                if (!arg.Contains('=', StringComparison.Ordinal))
                {
                    i++; // "--key value": the next argument is the setting's value
                }

                continue;
            }

            if (arg.StartsWith('-'))
            {
                continue; // "-k" without a switch mapping: the configuration ignores it, and so do we
            }

            positional.Add(arg);
        }

        return positional.Count == 0 ? null : new OperatorVerb(positional[0], positional[1..]);
    }
}
