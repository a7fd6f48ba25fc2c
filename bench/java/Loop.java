// loop: a counted loop of N iterations of i32 arithmetic (add, multiply, shift, xor).
// bench/vp/loop.vp does the same work, instruction for instruction against javac's bytecode.
// Prints: loop <ops> <elapsed_ns> <checksum>, ops = iterations.
public final class Loop {
    static int kernel(int n) {
        int sum = 0;
        int x = 1;
        for (int i = 0; i < n; i++) {
            sum += i;
            x = x * 31 + i;
            sum ^= x >>> 7;
        }
        return sum;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100000000;
        long t0 = System.nanoTime();
        int r = kernel(n);
        long t1 = System.nanoTime();
        System.out.println("loop " + n + " " + (t1 - t0) + " " + r);
    }
}
