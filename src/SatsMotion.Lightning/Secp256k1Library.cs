using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SatsMotion.Lightning;

/// <summary>
/// Bitcoin Core's libsecp256k1 (the Debian package libsecp256k1-1 or -2; 0.2 or later, with the recovery,
/// extrakeys, schnorrsig and ECDH modules that distributions build). One context serves every thread: after
/// creation and randomization it is only read.
/// </summary>
internal static unsafe partial class Secp256k1Library
{
    private const string Name = "secp256k1";

    // The sonames distributions ship, newest first; a plain "secp256k1" covers macOS and hand-built copies.
    private static readonly string[] Candidates = ["libsecp256k1.so.2", "libsecp256k1.so.1", "libsecp256k1.so", "libsecp256k1.dylib", Name];

    private const uint ContextSignAndVerify = 0x0301;
    internal const uint CompressedKey = 0x0102;

    // Created on first use, so a missing library is reported (as DllNotFoundException, with how to install it)
    // by the first signature or key operation, not as a type-initializer failure.
    private static readonly Lazy<nint> SharedContext = new(CreateContext);

    internal static nint Context => SharedContext.Value;

    private static nint CreateContext()
    {
        NativeLibrary.SetDllImportResolver(typeof(Secp256k1Library).Assembly, Resolve);
        nint context;
        try
        {
            context = secp256k1_context_create(ContextSignAndVerify);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                "libsecp256k1 (0.2 or later) is not installed; on Debian or Ubuntu: sudo apt-get install libsecp256k1-1 " +
                "(or libsecp256k1-2), on macOS: brew install secp256k1", e);
        }

        // Blinding against timing and power side channels, as the library's documentation advises.
        var seed = RandomNumberGenerator.GetBytes(32);
        fixed (byte* s = seed)
        {
            if (secp256k1_context_randomize(context, s) != 1)
            {
                throw new CryptographicException("libsecp256k1 refused to randomize its context");
            }
        }

        return context;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Name)
        {
            return 0;
        }

        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }

    [LibraryImport(Name)]
    private static partial nint secp256k1_context_create(uint flags);

    [LibraryImport(Name)]
    private static partial int secp256k1_context_randomize(nint context, byte* seed32);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ec_seckey_verify(nint context, byte* secretKey);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ec_pubkey_create(nint context, byte* publicKey64, byte* secretKey);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ec_pubkey_parse(nint context, byte* publicKey64, byte* input, nuint inputLength);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ec_pubkey_serialize(nint context, byte* output, nuint* outputLength, byte* publicKey64, uint flags);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_signature_parse_compact(nint context, byte* signature64, byte* input64);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_signature_serialize_compact(nint context, byte* output64, byte* signature64);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_signature_normalize(nint context, byte* normalized64, byte* signature64);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_verify(nint context, byte* signature64, byte* message32, byte* publicKey64);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_sign_recoverable(nint context, byte* signature65, byte* message32, byte* secretKey, nint nonceFunction, nint nonceData);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_recoverable_signature_serialize_compact(nint context, byte* output64, int* recoveryId, byte* signature65);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_recoverable_signature_parse_compact(nint context, byte* signature65, byte* input64, int recoveryId);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdsa_recover(nint context, byte* publicKey64, byte* signature65, byte* message32);

    [LibraryImport(Name)]
    internal static partial int secp256k1_keypair_create(nint context, byte* keypair96, byte* secretKey);

    [LibraryImport(Name)]
    internal static partial int secp256k1_schnorrsig_sign32(nint context, byte* signature64, byte* message32, byte* keypair96, byte* auxiliary32);

    [LibraryImport(Name)]
    internal static partial int secp256k1_xonly_pubkey_parse(nint context, byte* publicKey64, byte* input32);

    [LibraryImport(Name)]
    internal static partial int secp256k1_schnorrsig_verify(nint context, byte* signature64, byte* message, nuint messageLength, byte* publicKey64);

    [LibraryImport(Name)]
    internal static partial int secp256k1_ecdh(nint context, byte* output, byte* publicKey64, byte* secretKey, delegate* unmanaged<byte*, byte*, byte*, nint, int> hash, nint data);
}
