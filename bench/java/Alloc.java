// alloc: allocate N small objects, each linked to the previous one into a list that is dropped
// every 16 nodes, reading a field of the previous node. bench/vp/alloc.vp does the same work,
// instruction for instruction against javac's bytecode (including the constructor call and its
// super() call, which the VP version makes as ordinary calls).
// Prints: alloc <ops> <elapsed_ns> <checksum>, ops = objects allocated.
public final class Alloc {
    static final class Node {
        int value;
        Node next;

        Node(int value, Node next) {
            this.value = value;
            this.next = next;
        }
    }

    static int kernel(int n) {
        int sum = 0;
        Node head = null;
        for (int i = 0; i < n; i++) {
            if (head != null) sum += head.value;
            head = new Node(i ^ sum, head);
            if ((i & 15) == 15) head = null;
        }
        return sum;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10000000;
        long t0 = System.nanoTime();
        int r = kernel(n);
        long t1 = System.nanoTime();
        System.out.println("alloc " + n + " " + (t1 - t0) + " " + r);
    }
}
