// vcall: N virtual calls from one call site over three receiver classes that override the
// method (four receivers in an array, picked by i & 3). bench/vp/vcall.vp does the same work,
// instruction for instruction against javac's bytecode.
// Prints: vcall <ops> <elapsed_ns> <checksum>, ops = virtual calls.
public final class VCall {
    abstract static class Op {
        final int k;

        Op(int k) {
            this.k = k;
        }

        abstract int apply(int x);
    }

    static final class Add extends Op {
        Add(int k) {
            super(k);
        }

        int apply(int x) {
            return x + k;
        }
    }

    static final class Xor extends Op {
        Xor(int k) {
            super(k);
        }

        int apply(int x) {
            return x ^ k;
        }
    }

    static final class Shl extends Op {
        Shl(int k) {
            super(k);
        }

        int apply(int x) {
            return (x << 1) - k;
        }
    }

    static int kernel(Op[] ops, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc = ops[i & 3].apply(acc);
        }
        return acc;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 30000000;
        Op[] ops = {new Add(7), new Xor(0x5a5a5a), new Shl(3), new Xor(0x13579)};
        long t0 = System.nanoTime();
        int r = kernel(ops, n);
        long t1 = System.nanoTime();
        System.out.println("vcall " + n + " " + (t1 - t0) + " " + r);
    }
}
