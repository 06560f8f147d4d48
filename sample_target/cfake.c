// SPDX-License-Identifier: GPL-2.0
/*
 * cfake.c - "cfake", a fake character device driver: the sample target of
 * kedr_sample.
 *
 * The module (its name is kedr_sample_target) creates a few character
 * devices, /dev/cfake0, /dev/cfake1, ..., each backed by a fixed-size buffer
 * in kernel memory. What you write to a device you can read back:
 *
 *   # insmod kedr_sample_target.ko
 *   # echo hello > /dev/cfake0
 *   # head -c 6 /dev/cfake0
 *   hello
 *   # rmmod kedr_sample_target
 *
 * It does nothing useful, and that is the point: it is small enough to read
 * in a few minutes, yet it does what real drivers do: it allocates memory,
 * takes a mutex, copies data to and from user space, keeps a file position.
 * So when kedr_sample instruments it, the trace has something to show, and
 * you can check every line of that trace against this file.
 *
 * Semantics, as for a regular file of fixed size:
 *  - read() returns at most what is left before the end of the buffer; at the
 *    end it returns 0 (end of file);
 *  - write() stores at most what is left before the end (a "short write");
 *    a write that starts at the end or beyond fails with ENOSPC;
 *  - llseek() supports SEEK_SET, SEEK_CUR and SEEK_END; positions outside
 *    [0, buffer size] fail with EINVAL;
 *  - each device has a mutex, so concurrent readers and writers see whole
 *    operations; each open() allocates a small structure of its own.
 *
 * Data moves between user space and the buffer one byte at a time, with
 * get_user() and put_user(). A real driver would call copy_from_user() and
 * copy_to_user(), but those do the copying in the kernel, out of
 * kedr_sample's sight; done here, every byte stored into or loaded from the
 * device's buffer is an access of this module, and shows in the trace.
 *
 * Parameters: cfake_ndevices (how many devices, default 2),
 * cfake_buffer_size (bytes per device, default 4000).
 */

#define pr_fmt(fmt) "[cfake] " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

MODULE_AUTHOR("kedr_sample developers");
MODULE_DESCRIPTION("cfake: a fake character device, the target of kedr_sample");
MODULE_LICENSE("GPL");

#define CFAKE_DEVICE_NAME "cfake"
#define CFAKE_MAX_DEVICES 8

static unsigned int cfake_ndevices = 2;
module_param(cfake_ndevices, uint, 0444);
MODULE_PARM_DESC(cfake_ndevices, "Number of devices to create (1..8)");

static unsigned long cfake_buffer_size = 4000;
module_param(cfake_buffer_size, ulong, 0444);
MODULE_PARM_DESC(cfake_buffer_size, "Size of each device's buffer in bytes");

/**
 * struct cfake_dev - one device, /dev/cfakeN
 * @data:  the buffer, @buffer_size bytes
 * @buffer_size: size of @data
 * @mutex: serialises read(), write() and llseek() on this device
 * @cdev:  the character device the kernel knows
 */
struct cfake_dev {
	unsigned char *data;
	unsigned long buffer_size;
	struct mutex mutex;
	struct cdev cdev;
};

/**
 * struct cfake_open_file - what one open() of a device allocates
 * @dev:   the device this file refers to
 * @bytes: bytes transferred through this file (read or written), for the log
 */
struct cfake_open_file {
	struct cfake_dev *dev;
	unsigned long bytes;
};

static struct cfake_dev *cfake_devices;
static unsigned int cfake_major;
static struct class *cfake_class;

/**
 * cfake_open() - open a device: allocate the per-open structure
 * @inode: the device's inode; its i_cdev leads to our struct cfake_dev
 * @filp:  the new file
 *
 * Return: 0, or -ENOMEM.
 */
static int cfake_open(struct inode *inode, struct file *filp)
{
	struct cfake_open_file *of;

	of = kzalloc(sizeof(*of), GFP_KERNEL);
	if (!of)
		return -ENOMEM;
	of->dev = container_of(inode->i_cdev, struct cfake_dev, cdev);
	filp->private_data = of;
	return 0;
}

/**
 * cfake_release() - the last close of a file: free the per-open structure
 * @inode: the device's inode (unused)
 * @filp:  the file being released
 *
 * Return: 0.
 */
static int cfake_release(struct inode *inode, struct file *filp)
{
	struct cfake_open_file *of = filp->private_data;

	pr_debug("file closed after %lu bytes\n", of->bytes);
	kfree(of);
	return 0;
}

/**
 * cfake_read() - copy bytes from the buffer to user space
 * @filp:  the file
 * @buf:   user buffer
 * @count: how many bytes the caller wants
 * @f_pos: file position, advanced by what was read
 *
 * Return: bytes read (0 at the end of the buffer), or a negative error.
 */
static ssize_t cfake_read(struct file *filp, char __user *buf, size_t count,
			  loff_t *f_pos)
{
	struct cfake_open_file *of = filp->private_data;
	struct cfake_dev *dev = of->dev;
	ssize_t ret = 0;
	size_t i;

	if (mutex_lock_killable(&dev->mutex))
		return -EINTR;
	if (*f_pos >= dev->buffer_size)
		goto out;		/* end of file */
	if (count > dev->buffer_size - *f_pos)
		count = dev->buffer_size - *f_pos;	/* short read */
	for (i = 0; i < count; i++) {
		if (put_user(dev->data[*f_pos + i], buf + i)) {
			ret = -EFAULT;
			goto out;
		}
	}
	*f_pos += count;
	of->bytes += count;
	ret = count;
out:
	mutex_unlock(&dev->mutex);
	return ret;
}

/**
 * cfake_write() - copy bytes from user space into the buffer
 * @filp:  the file
 * @buf:   user buffer
 * @count: how many bytes the caller offers
 * @f_pos: file position, advanced by what was written
 *
 * Return: bytes written (fewer than @count near the end of the buffer),
 * -ENOSPC at or past the end, or another negative error.
 */
static ssize_t cfake_write(struct file *filp, const char __user *buf,
			   size_t count, loff_t *f_pos)
{
	struct cfake_open_file *of = filp->private_data;
	struct cfake_dev *dev = of->dev;
	ssize_t ret;
	size_t i;

	if (mutex_lock_killable(&dev->mutex))
		return -EINTR;
	if (*f_pos >= dev->buffer_size) {
		ret = -ENOSPC;		/* no room at all */
		goto out;
	}
	if (count > dev->buffer_size - *f_pos)
		count = dev->buffer_size - *f_pos;	/* short write */
	for (i = 0; i < count; i++) {
		if (get_user(dev->data[*f_pos + i], buf + i)) {
			ret = -EFAULT;	/* the bytes before stay written */
			goto out;
		}
	}
	*f_pos += count;
	of->bytes += count;
	ret = count;
out:
	mutex_unlock(&dev->mutex);
	return ret;
}

/**
 * cfake_llseek() - set the file position
 * @filp:   the file
 * @off:    offset, interpreted according to @whence
 * @whence: SEEK_SET, SEEK_CUR or SEEK_END
 *
 * Return: the new position, or -EINVAL if it would fall outside
 * [0, buffer size] or @whence is not supported.
 */
static loff_t cfake_llseek(struct file *filp, loff_t off, int whence)
{
	struct cfake_open_file *of = filp->private_data;
	struct cfake_dev *dev = of->dev;
	loff_t pos;

	mutex_lock(&dev->mutex);
	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		pos = filp->f_pos + off;
		break;
	case SEEK_END:
		pos = dev->buffer_size + off;
		break;
	default:
		pos = -EINVAL;
		goto out;
	}
	if (pos < 0 || pos > dev->buffer_size) {
		pos = -EINVAL;
		goto out;
	}
	filp->f_pos = pos;
out:
	mutex_unlock(&dev->mutex);
	return pos;
}

static const struct file_operations cfake_fops = {
	.owner   = THIS_MODULE,
	.open    = cfake_open,
	.release = cfake_release,
	.read    = cfake_read,
	.write   = cfake_write,
	.llseek  = cfake_llseek,
};

/**
 * cfake_setup_device() - allocate the buffer of one device and register it
 * @dev:   the device
 * @minor: its minor number, which is also N in /dev/cfakeN
 *
 * Return: 0 or a negative error; on error nothing is left allocated.
 */
static int cfake_setup_device(struct cfake_dev *dev, unsigned int minor)
{
	dev_t devno = MKDEV(cfake_major, minor);
	struct device *device;
	int err;

	dev->buffer_size = cfake_buffer_size;
	dev->data = kzalloc(dev->buffer_size, GFP_KERNEL);
	if (!dev->data)
		return -ENOMEM;
	mutex_init(&dev->mutex);
	cdev_init(&dev->cdev, &cfake_fops);
	dev->cdev.owner = THIS_MODULE;
	err = cdev_add(&dev->cdev, devno, 1);
	if (err)
		goto out_free;
	device = device_create(cfake_class, NULL, devno, NULL,
			       CFAKE_DEVICE_NAME "%u", minor);
	if (IS_ERR(device)) {
		err = PTR_ERR(device);
		goto out_del;
	}
	return 0;

out_del:
	cdev_del(&dev->cdev);
out_free:
	kfree(dev->data);
	dev->data = NULL;
	return err;
}

/**
 * cfake_destroy_device() - undo cfake_setup_device()
 * @dev:   the device
 * @minor: its minor number
 */
static void cfake_destroy_device(struct cfake_dev *dev, unsigned int minor)
{
	device_destroy(cfake_class, MKDEV(cfake_major, minor));
	cdev_del(&dev->cdev);
	kfree(dev->data);
	mutex_destroy(&dev->mutex);
}

/**
 * cfake_cleanup() - destroy the first @n devices and everything global
 * @n: how many devices were set up successfully
 */
static void cfake_cleanup(unsigned int n)
{
	while (n--)
		cfake_destroy_device(&cfake_devices[n], n);
	kfree(cfake_devices);
	class_destroy(cfake_class);
	unregister_chrdev_region(MKDEV(cfake_major, 0), cfake_ndevices);
}

/* class_create() lost its owner argument in Linux 6.4 */
static struct class *__init cfake_class_create(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/**
 * cfake_init() - check the parameters, create the devices
 *
 * Return: 0 or a negative error.
 */
static int __init cfake_init(void)
{
	dev_t devno;
	unsigned int i;
	int err;

	if (cfake_ndevices < 1 || cfake_ndevices > CFAKE_MAX_DEVICES ||
	    cfake_buffer_size < 1 || cfake_buffer_size > (1UL << 20)) {
		pr_err("invalid parameters: cfake_ndevices=%u (1..%d), cfake_buffer_size=%lu (1..%lu)\n",
		       cfake_ndevices, CFAKE_MAX_DEVICES, cfake_buffer_size,
		       1UL << 20);
		return -EINVAL;
	}
	err = alloc_chrdev_region(&devno, 0, cfake_ndevices, CFAKE_DEVICE_NAME);
	if (err)
		return err;
	cfake_major = MAJOR(devno);

	cfake_class = cfake_class_create(CFAKE_DEVICE_NAME);
	if (IS_ERR(cfake_class)) {
		err = PTR_ERR(cfake_class);
		goto out_region;
	}
	cfake_devices = kcalloc(cfake_ndevices, sizeof(*cfake_devices),
				GFP_KERNEL);
	if (!cfake_devices) {
		err = -ENOMEM;
		goto out_class;
	}
	for (i = 0; i < cfake_ndevices; i++) {
		err = cfake_setup_device(&cfake_devices[i], i);
		if (err) {
			cfake_cleanup(i);
			return err;
		}
	}
	pr_info("%u devices of %lu bytes\n", cfake_ndevices, cfake_buffer_size);
	return 0;

out_class:
	class_destroy(cfake_class);
out_region:
	unregister_chrdev_region(devno, cfake_ndevices);
	return err;
}

/**
 * cfake_exit() - remove the devices
 */
static void __exit cfake_exit(void)
{
	cfake_cleanup(cfake_ndevices);
}

module_init(cfake_init);
module_exit(cfake_exit);
