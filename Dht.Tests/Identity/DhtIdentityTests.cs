using Dht.Security;
using Dht.Tests.Support;

namespace Dht.Tests.Identity;

[TestClass]
public sealed class DhtIdentityTests
{
    private static readonly byte[] Rfc8032Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void FromSeed_Rfc8032Test1_IdIsThePublicKey()
    {
        using var identity = DhtIdentity.FromSeed(Rfc8032Seed);
        Assert.AreEqual("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", identity.Id.ToString());
        CollectionAssert.AreEqual(identity.Id.ToArray(), identity.PublicKey.ToArray());
    }

    [TestMethod]
    public void FromSeed_WrongLength_ThrowsNamingTheSize()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DhtIdentity.FromSeed(new byte[31]));
        StringAssert.Contains(e.Message, "32 bytes");
    }

    [TestMethod]
    public void Sign_Rfc8032Test1_EmptyMessageMatchesTheRfc()
    {
        using var identity = DhtIdentity.FromSeed(Rfc8032Seed);
        var signature = identity.Sign([]);
        Assert.AreEqual(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(signature));
    }

    [TestMethod]
    public void SaveLoad_RoundTrip_SameIdentityAndOwnerOnlyMode()
    {
        var path = TempPath();
        using var identity = DhtIdentity.Generate();
        identity.Save(path);
        using var loaded = DhtIdentity.Load(path);
        Assert.AreEqual(identity.Id, loaded.Id);
        Assert.AreEqual(72L, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [TestMethod]
    public void Save_OverExistingWorldReadableFile_ResultIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = TempPath();
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
        using var identity = DhtIdentity.Generate();
        identity.Save(path);
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [TestMethod]
    public void LoadOrCreate_MissingThenExisting_CreatesOnceThenLoads()
    {
        var path = TempPath();
        using var first = DhtIdentity.LoadOrCreate(path);
        using var second = DhtIdentity.LoadOrCreate(path);
        Assert.AreEqual(first.Id, second.Id);
    }

    [TestMethod]
    public void Load_MissingFile_ThrowsFileNotFoundNamingTheFile()
    {
        var path = TempPath();
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => DhtIdentity.Load(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(8)]
    [DataRow(40)]
    [DataRow(71)]
    [DataRow(73)]
    public void Load_WrongSize_ThrowsInvalidDataNamingTheFile(int size)
    {
        var path = WriteKeyFile(new byte[size]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DhtIdentity.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "72 bytes");
    }

    [TestMethod]
    public void Load_ForeignFileOfRightSize_ThrowsNotADhtKeyFile()
    {
        var path = WriteKeyFile(System.Text.Encoding.ASCII.GetBytes(new string('x', 72)));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DhtIdentity.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "not a Dht key file");
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(39)]
    [DataRow(40)]
    [DataRow(71)]
    public void Load_FlippedByte_ThrowsCorrupt(int offset)
    {
        var path = TempPath();
        using (var identity = DhtIdentity.Generate())
        {
            identity.Save(path);
        }

        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DhtIdentity.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "corrupt");
    }

    [TestMethod]
    public void Load_GroupReadableFile_RefusedWithChmodHint()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = TempPath();
        using (var identity = DhtIdentity.Generate())
        {
            identity.Save(path);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DhtIdentity.Load(path));
        StringAssert.Contains(e.Message, "chmod 600");
    }

    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    [DataRow(3UL)]
    public void DeriveSessionKey_BothSides_AgreeOnTheSameKey(ulong seed)
    {
        var rng = new Dht.Protocol.Xoshiro256(seed);
        var seedA = new byte[32];
        var seedB = new byte[32];
        rng.NextBytes(seedA);
        rng.NextBytes(seedB);
        using var a = DhtIdentity.FromSeed(seedA);
        using var b = DhtIdentity.FromSeed(seedB);
        using var suiteA = new NSecCryptoSuite(a);
        using var suiteB = new NSecCryptoSuite(b);
        var keyAb = SuiteKey.Derive(suiteA, b.Id);
        var keyBa = SuiteKey.Derive(suiteB, a.Id);
        Assert.IsNotNull(keyAb, $"seed {seed}");
        Assert.IsNotNull(keyBa, $"seed {seed}");
        var nonce = new byte[SessionKey.NonceSize];
        var plaintext = "hello"u8.ToArray();
        var sealedBytes = new byte[plaintext.Length + SessionKey.TagSize];
        keyAb.Seal(nonce, [], plaintext, sealedBytes);
        var opened = new byte[plaintext.Length];
        Assert.IsTrue(keyBa.TryOpen(nonce, [], sealedBytes, opened), $"seed {seed}");
        CollectionAssert.AreEqual(plaintext, opened);
    }

    [TestMethod]
    public void DeriveSessionKey_ThirdParty_CannotOpen()
    {
        using var a = DhtIdentity.Generate();
        using var b = DhtIdentity.Generate();
        using var c = DhtIdentity.Generate();
        using var suiteA = new NSecCryptoSuite(a);
        using var suiteC = new NSecCryptoSuite(c);
        var keyAb = SuiteKey.Derive(suiteA, b.Id)!;
        var keyCa = SuiteKey.Derive(suiteC, a.Id)!;
        var nonce = new byte[SessionKey.NonceSize];
        var sealedBytes = new byte[5 + SessionKey.TagSize];
        keyAb.Seal(nonce, [], "hello"u8, sealedBytes);
        Assert.IsFalse(keyCa.TryOpen(nonce, [], sealedBytes, new byte[5]));
    }

    [TestMethod]
    public void DeriveSessionKey_ZeroSelfOrOffCurveId_Refused()
    {
        using var a = DhtIdentity.Generate();
        using var suite = new NSecCryptoSuite(a);
        Assert.IsFalse(suite.TryDeriveSessionKey(default, out _));
        Assert.IsFalse(suite.TryDeriveSessionKey(a.Id, out _));

        // y = p (not a canonical field element) and y = 1 (maps to the point at infinity) are refused.
        var p = Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        Assert.IsFalse(suite.TryDeriveSessionKey(new NodeId(p), out _));
        var one = new byte[32];
        one[0] = 1;
        Assert.IsFalse(suite.TryDeriveSessionKey(new NodeId(one), out _));
    }

    [TestMethod]
    public void EdwardsToMontgomery_Rfc8032Key_MatchesLibsodiumConversion()
    {
        // libsodium's crypto_sign_ed25519_pk_to_curve25519 of the RFC 8032 test-1 key, cross-checked through agreement:
        // the converted public key must equal X25519(base point, converted private scalar).
        using var identity = DhtIdentity.FromSeed(Rfc8032Seed);
        Span<byte> montgomery = stackalloc byte[32];
        Assert.IsTrue(Curve25519Conversion.TryEdwardsToMontgomery(identity.PublicKey.Span, montgomery));
        Span<byte> scalar = stackalloc byte[32];
        Curve25519Conversion.SeedToMontgomeryScalar(Rfc8032Seed, scalar);
        using var key = NSec.Cryptography.Key.Import(NSec.Cryptography.KeyAgreementAlgorithm.X25519, scalar, NSec.Cryptography.KeyBlobFormat.RawPrivateKey);
        CollectionAssert.AreEqual(key.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey), montgomery.ToArray());
    }

    private string TempPath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dht-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "node.key");
    }

    private string WriteKeyFile(byte[] bytes)
    {
        var path = TempPath();
        File.WriteAllBytes(path, bytes);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }
}
