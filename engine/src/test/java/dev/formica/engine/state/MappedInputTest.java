package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link MappedInput} reads a snapshot's fields from the mapping itself instead of through a
 * {@link DataInputStream}: every field must come out as the stream reads it, big-endian, and a field past the end
 * must be an {@link EOFException} as from the stream (a snapshot cut short is refused, not read as zeros).
 */
class MappedInputTest {
    private static byte[] fields() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(0x0102030405060708L);
            out.writeLong(-2L);
            out.writeInt(Integer.MIN_VALUE);
            out.writeInt(0x7f000001);
            out.writeShort(-3);
            out.writeShort(0xfffe);
            out.writeChar('\u20ac');
            out.writeByte(-1);
            out.writeByte(0x80);
            out.writeBoolean(true);
            out.writeBoolean(false);
            out.writeFloat(-1.5f);
            out.writeDouble(Math.PI);
            out.writeUTF("borrower-42 \u00fcn\u00efc\u00f8d\u00e9 \u20ac \u0000 \ud834\udd1e");
            out.writeUTF("");
            out.write(new byte[] {9, 8, 7, 6, 5});
            out.writeInt(77);
        }
        return bytes.toByteArray();
    }

    /** Reads every field of {@link #fields()} in order, each as text. */
    private static String read(DataInput in) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append(in.readLong()).append(' ').append(in.readLong()).append(' ').append(in.readInt()).append(' ')
                .append(in.readInt()).append(' ').append(in.readShort()).append(' ').append(in.readUnsignedShort())
                .append(' ').append(in.readChar()).append(' ').append(in.readByte()).append(' ')
                .append(in.readUnsignedByte()).append(' ').append(in.readBoolean()).append(' ')
                .append(in.readBoolean()).append(' ').append(in.readFloat()).append(' ').append(in.readDouble())
                .append(' ').append(in.readUTF()).append('|').append(in.readUTF()).append('|');
        assertEquals(2, in.skipBytes(2));
        byte[] three = new byte[3];
        in.readFully(three);
        assertArrayEquals(new byte[] {7, 6, 5}, three);
        return s.append(in.readInt()).toString();
    }

    @Test
    void shouldReadEveryFieldAsTheStreamDoes() throws IOException {
        byte[] bytes = fields();
        String expected = read(new DataInputStream(new ByteArrayInputStream(bytes)));
        MappedInput mapped = new MappedInput(new UnsafeBuffer(bytes), null);
        assertEquals(expected, read(mapped));
        assertEquals(bytes.length, mapped.position);
        assertEquals(0, mapped.remaining());
        assertEquals(-1, mapped.read());
    }

    @Test
    void shouldRefuseAFieldPastTheEnd() throws IOException {
        MappedInput in = new MappedInput(new UnsafeBuffer(new byte[] {0, 0, 0, 0, 0, 0, 1}), null);
        assertThrows(EOFException.class, in::readLong);
        assertEquals(0, in.position, "a field that does not fit is not consumed");
        assertEquals(0, in.readShort());
        assertThrows(EOFException.class, () -> in.readFully(new byte[6]));
        assertEquals(0, in.readInt());
        assertThrows(EOFException.class, in::readInt);
        assertEquals(1, in.readByte());
        assertThrows(EOFException.class, in::readByte);
        assertThrows(EOFException.class, in::readUTF);
        assertEquals(0, in.skipBytes(4));
    }

    @Test
    void shouldRefuseAStringLongerThanWhatIsLeft() {
        MappedInput in = new MappedInput(new UnsafeBuffer(new byte[] {0, 5, 'a', 'b'}), null);
        assertThrows(EOFException.class, in::readUTF);
    }
}
