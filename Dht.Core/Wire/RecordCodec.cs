namespace Dht.Wire;

/// <summary>
/// Record encoding. Immutable: kind 0x00, value length (u16), value. Mutable: kind 0x01, public key (32),
/// salt length (u8, ≤ 64), salt, seq (i64), value length (u16), value, signature (64). Structure only:
/// signatures and keys are checked by the record validator.
/// </summary>
internal static class RecordCodec
{
    public const byte KindImmutable = 0;
    public const byte KindMutable = 1;

    public static int GetEncodedLength(DhtRecord record) =>
        record.IsMutable
            ? 1 + 32 + 1 + record.Salt.Length + 8 + 2 + record.Value.Length + WireConstants.SignatureSize
            : 1 + 2 + record.Value.Length;

    public static void Write(ref WireWriter writer, DhtRecord record)
    {
        if (!record.IsMutable)
        {
            writer.WriteByte(KindImmutable);
            writer.WriteUInt16((ushort)record.Value.Length);
            writer.WriteBytes(record.Value.Span);
            return;
        }

        writer.WriteByte(KindMutable);
        writer.WriteBytes(record.PublicKey.Span);
        writer.WriteByte((byte)record.Salt.Length);
        writer.WriteBytes(record.Salt.Span);
        writer.WriteInt64(record.Sequence);
        writer.WriteUInt16((ushort)record.Value.Length);
        writer.WriteBytes(record.Value.Span);
        writer.WriteBytes(record.Signature.Span);
    }

    public static DropReason TryRead(ref WireReader reader, out DhtRecord? record)
    {
        record = null;
        if (!reader.TryReadByte(out var kind))
        {
            return DropReason.Truncated;
        }

        if (kind == KindImmutable)
        {
            if (!reader.TryReadUInt16(out var length) || !reader.TryReadBytes(length, out var value))
            {
                return DropReason.Truncated;
            }

            if (length > WireConstants.MaxValueSize)
            {
                return DropReason.InvalidField;
            }

            record = DhtRecord.CreateImmutable(value.ToArray());
            return DropReason.None;
        }

        if (kind != KindMutable)
        {
            return DropReason.InvalidField;
        }

        if (!reader.TryReadBytes(32, out var publicKey) || !reader.TryReadByte(out var saltLength))
        {
            return DropReason.Truncated;
        }

        if (saltLength > WireConstants.MaxSaltSize)
        {
            return DropReason.InvalidField;
        }

        if (!reader.TryReadBytes(saltLength, out var salt) || !reader.TryReadInt64(out var seq)
            || !reader.TryReadUInt16(out var valueLength) || !reader.TryReadBytes(valueLength, out var mutableValue)
            || !reader.TryReadBytes(WireConstants.SignatureSize, out var signature))
        {
            return DropReason.Truncated;
        }

        if (seq < 0 || valueLength > WireConstants.MaxValueSize)
        {
            return DropReason.InvalidField;
        }

        record = DhtRecord.FromParts(true, mutableValue.ToArray(), publicKey.ToArray(), salt.ToArray(), seq, signature.ToArray());
        return DropReason.None;
    }
}
