// fib: naive recursive Fibonacci. bench/vp/fib.vp does the same work, instruction for
// instruction against javac's bytecode.
// Prints: fib <ops> <elapsed_ns> <checksum>, ops = calls of fib = 2 * fib(n + 1) - 1.
public final class Fib {
    static int fib(int n) {
        if (n < 2) return n;
        return fib(n - 1) + fib(n - 2);
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long a = 0, b = 1; // after the loop b = fib(n + 1)
        for (int i = 0; i < n; i++) {
            long c = a + b;
            a = b;
            b = c;
        }
        long calls = 2 * b - 1;
        long t0 = System.nanoTime();
        int r = fib(n);
        long t1 = System.nanoTime();
        System.out.println("fib " + calls + " " + (t1 - t0) + " " + r);
    }
}
